// swift-tools-version: 6.2
import PackageDescription

// The project's own targets build without warnings: a warning fails the build, clean or incremental.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
  name: "swift-kernel",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "swift-kernel", targets: ["swift-kernel"]),
    // Loaded once by the executor with RTLD_GLOBAL; every cell links against this one copy.
    .library(name: "ClassificationRuntime", type: .dynamic, targets: ["ClassificationRuntime"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/swiftlang/swift-syntax", from: "603.0.1"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    // Pure values: the connection file, the wire format, signing, messages.
    .target(
      name: "JupyterProtocol", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
      swiftSettings: strict),
    // The kernel's channels over libzmq, behind `Kernel`'s transport seam.
    .target(name: "ZeroMQTransport", dependencies: ["CZeroMQ", "JupyterProtocol", "Kernel"], swiftSettings: strict),
    // Child processes with posix_spawn.
    .target(name: "ProcessSupport", swiftSettings: strict),
    .target(
      name: "CellCompiler",
      dependencies: [
        "ExecutorWire", "ProcessSupport", "SourceKitCompletion",
        .product(name: "SwiftParser", package: "swift-syntax"),
        .product(name: "SwiftSyntax", package: "swift-syntax"),
      ], swiftSettings: strict),
    // These two call C stdio (`stdout`, `stderr`), which Swift 6 mode treats as shared mutable state.
    .target(
      name: "Executor", dependencies: ["ExecutorWire", "CellGuard"], swiftSettings: strict + [.swiftLanguageMode(.v5)]),
    // Runs a cell on a thread of its own, where a trap ends the cell and not the executor (C: sigsetjmp).
    .target(name: "CellGuard", cSettings: [.treatAllWarnings(as: .error)]),
    .target(name: "ExecutorWire", swiftSettings: strict),
    // Line charts and image grids as SVG strings; no dependencies.
    .target(name: "SVGPlot", swiftSettings: strict),
    // The protocol's books (bracket, counts, history, stdin) behind two seams: transport and execution.
    .target(name: "Kernel", dependencies: ["JupyterProtocol", "ExecutorWire"], swiftSettings: strict),
    // History in SQLite (IPython's schema), behind `Kernel`'s HistoryStore.
    .target(name: "SQLiteHistory", dependencies: ["CSQLite", "ExecutorWire", "Kernel"], swiftSettings: strict),
    // The execution seam's real side: compiles cells and drives the executor child.
    .target(
      name: "ExecutorHost",
      dependencies: [
        "Kernel", "CellCompiler", "ExecutorWire", "JupyterProtocol", "ProcessSupport", "SourceKitCompletion",
      ],
      swiftSettings: strict),
    // Code completion from the toolchain's SourceKit, in a server process of its own (`swift-kernel sourcekit`).
    .systemLibrary(name: "CSourceKitD"),
    .target(name: "SourceKitCompletion", dependencies: ["CSourceKitD", "ExecutorWire", "ProcessSupport"], swiftSettings: strict),
    .target(name: "NotebookRunner", dependencies: ["JupyterProtocol", "ZeroMQTransport"], swiftSettings: strict),
    .target(
      name: "ClassificationRuntime", dependencies: ["ExecutorWire", "CZlib", "SVGPlot"],
      // The runtime is built on the machine that runs it, so its loops may use every vector instruction
      // that CPU has (AVX2/AVX-512 here, instead of x86-64's baseline SSE2), as `-march=native` would.
      // Library evolution makes its `internal import`s (Foundation, zlib, its helpers) invisible to cells:
      // without it a client still loads a module's internal imports, and cells would see Foundation.
      swiftSettings: strict + [
        .swiftLanguageMode(.v5), .unsafeFlags(["-target-cpu", "native", "-enable-library-evolution"]),
      ]),
    .executableTarget(
      name: "swift-kernel",
      dependencies: [
        "Kernel", "ExecutorHost", "ExecutorWire", "ZeroMQTransport", "SQLiteHistory", "Executor", "JupyterProtocol",
        "CellCompiler",
        "SourceKitCompletion",
        "NotebookRunner",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ], swiftSettings: strict),
    // bench/train's Swift side: trains the book's models on the real data and prints its figures.
    .executableTarget(
      name: "train-bench", dependencies: ["ClassificationRuntime"], path: "Sources/TrainBench", swiftSettings: strict),
    .testTarget(
      name: "JupyterProtocolTests", dependencies: ["JupyterProtocol"], path: "Tests/JupyterProtocolTests"),
    .testTarget(
      name: "CellCompilerTests", dependencies: ["CellCompiler", "ProcessSupport", "SourceKitCompletion"], path: "Tests/CellCompilerTests"),
    .testTarget(
      name: "ClassificationRuntimeTests", dependencies: ["ClassificationRuntime", "CZlib", "ExecutorWire"],
      path: "Tests/ClassificationRuntimeTests", swiftSettings: [.swiftLanguageMode(.v5)]),
    .testTarget(name: "SVGPlotTests", dependencies: ["SVGPlot"], path: "Tests/SVGPlotTests"),
    // The kernel in memory: a recording transport and a scripted executor; no process is started.
    .testTarget(
      name: "KernelTests", dependencies: ["Kernel", "JupyterProtocol", "ExecutorWire", "SQLiteHistory"],
      path: "Tests/KernelTests"),
    .testTarget(
      name: "SQLiteHistoryTests", dependencies: ["SQLiteHistory", "Kernel", "JupyterProtocol"],
      path: "Tests/SQLiteHistoryTests"),
    .testTarget(name: "ExecutorWireTests", dependencies: ["ExecutorWire"], path: "Tests/ExecutorWireTests"),
    .testTarget(
      name: "ExecutorHostTests",
      dependencies: ["ExecutorHost", "SourceKitCompletion", "CellCompiler", "JupyterProtocol", "Kernel"],
      path: "Tests/ExecutorHostTests"),
  ]
)

// libFuzzer targets (`scripts/fuzz.sh`), only when SWIFT_KERNEL_FUZZ=1: the normal build and the test command
// never see them. Each is an executable whose `LLVMFuzzerTestOneInput` libFuzzer calls; built in debug (testable
// imports reach the internal parsers) with `-sanitize=fuzzer,address -parse-as-library`.
if Context.environment["SWIFT_KERNEL_FUZZ"] == "1" {
  package.targets += [
    .systemLibrary(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
    .target(name: "FuzzSupport", dependencies: ["CFuzzerDriver"], path: "Fuzz/Support", swiftSettings: strict),
  ]
  for (name, dependencies) in [
    ("FuzzWire", ["JupyterProtocol"]),
    ("FuzzJSON", ["JupyterProtocol"]),
    ("FuzzConnection", ["JupyterProtocol"]),
    ("FuzzNotebook", ["NotebookRunner", "JupyterProtocol"]),
    ("FuzzHistory", ["SQLiteHistory", "Kernel", "JupyterProtocol"]),
    ("FuzzMagics", ["ExecutorHost"]),
    ("FuzzPackageLine", ["ExecutorHost"]),
  ] {
    package.targets.append(
      .executableTarget(
        name: name, dependencies: ["FuzzSupport"] + dependencies.map { .target(name: $0) }, path: "Fuzz/\(name)",
        swiftSettings: strict))
  }
}
