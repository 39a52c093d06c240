import ArgumentParser
import CellCompiler
import Executor
import ExecutorHost
import ExecutorWire
import Foundation
import JupyterProtocol
import Kernel
import SQLiteHistory
import SourceKitCompletion
import ZeroMQTransport

/// Where this binary and the runtime built beside it live.
enum Installation {
  static var binary: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }
  static var binDirectory: String { URL(fileURLWithPath: binary).deletingLastPathComponent().path }
  static var runtimeLibrary: String {
    ProcessInfo.processInfo.environment["SWIFT_KERNEL_RUNTIME"] ?? binDirectory + "/libClassificationRuntime.so"
  }
  /// A kernel for a connection, with its own work folder for compiled cells (the caller removes it).
  /// `debugging: false` for a kernel no debugger client will reach (`swift-kernel run`).
  static func makeKernel(connection: ConnectionInfo, debugging: Bool = true) throws -> (Kernel, URL, ZeroMQTransport) {
    removeStaleWorkDirectories()
    let work = FileManager.default.temporaryDirectory.appendingPathComponent(
      "swift-kernel-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    lockWorkDirectory(work)
    // The executor is this binary: it has loaded what this process has, and it loads SwiftOnoneSupport
    // (which -Onone cells use) before the first cell.
    let compiler = try CellCompiler(
      toolchain: Toolchain.locate(), workDirectory: work, moduleSearchPaths: [moduleDirectory],
      preloadedLibraries: CellCompiler.librariesOfThisProcess().union(["swiftSwiftOnoneSupport"]))
    // Cells compile in a resident compile service (SourceKit's compiler in a process of its own), started
    // now so that it has loaded the runtime's modules before the first cell; `off` compiles each cell with
    // a spawned swift-frontend, as the service's fallback does.
    if ProcessInfo.processInfo.environment["SWIFT_KERNEL_COMPILE_SERVICE"] != "off" {
      compiler.service = CompileService(program: binary, library: compiler.toolchain.sourceKitLibrary)
      compiler.service?.start()
    }
    let launch = ExecutorLaunch(
      program: binary, arguments: ["executor", "--runtime", runtimeLibrary], workDirectory: work)
    let log: @Sendable (String) -> Void = { Log.info($0) }
    let transport = try ZeroMQTransport(connection: connection, log: log)
    let executing = try ExecutorHost(compiler: compiler, launch: launch)
    let debugger = Debugger(
      launch: debugging
        ? debugAdapter : .failure(DebuggerUnavailable("`swift-kernel run` runs notebooks without a debugger", quiet: true)), files: compiler.cellFiles, moduleSearchPaths: [compiler.moduleFolder.path] + compiler.moduleSearchPaths)
    debugger.host = executing
    executing.debugger = debugger
    let history = try SQLiteHistory.open(log: log)
    let kernel = Kernel(transport: transport, executing: executing, history: history, debugger: debugger, log: log)
    return (kernel, work, transport)
  }

  /// The lldb-dap the kernelspec names (`install` found it working), or why there is none.
  static var debugAdapter: Result<DebugAdapterLaunch, DebuggerUnavailable> {
    let environment = ProcessInfo.processInfo.environment
    guard let program = environment["SWIFT_KERNEL_LLDB_DAP"], !program.isEmpty else {
      return .failure(
        DebuggerUnavailable(
          environment["SWIFT_KERNEL_NO_DEBUGGER"]
            ?? "the kernelspec names no lldb-dap (SWIFT_KERNEL_LLDB_DAP); run `swift-kernel install` again"))
    }
    return .success(
      DebugAdapterLaunch(program: program, libraryPath: environment["SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH"]))
  }

  /// Looks for a working lldb-dap beside the toolchain's compiler: as it is, else with the `libpython3.10`
  /// folder `scripts/setup.sh` recorded (or `SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH` names).
  static func findDebugAdapter(toolchainBin: String) -> Result<DebugAdapterLaunch, DebuggerUnavailable> {
    let program = toolchainBin + "/lldb-dap"
    guard FileManager.default.isExecutableFile(atPath: program) else {
      return .failure(DebuggerUnavailable("the toolchain has no lldb-dap (\(program))"))
    }
    var candidates: [String?] = [nil]
    if let path = ProcessInfo.processInfo.environment["SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH"] { candidates.append(path) }
    if let recorded = try? String(contentsOfFile: recordedLibraryPathFile, encoding: .utf8) {
      candidates.append(recorded.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    var why = ""
    for libraryPath in candidates {
      let launch = DebugAdapterLaunch(program: program, libraryPath: libraryPath)
      guard let failure = launch.check() else { return .success(launch) }
      if why.isEmpty { why = failure }
    }
    return .failure(
      DebuggerUnavailable(
        "no working lldb-dap: \(why) (scripts/setup.sh looks for the libpython3.10 it needs)"))
  }

  /// Where `scripts/setup.sh` writes the folder of a `libpython3.10.so.1.0` lldb-dap can use.
  static var recordedLibraryPathFile: String {
    (ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache")
      + "/swift-kernel/lldb-dap-library-path"
  }

  /// Removes the work folders of kernels that were killed before they could clean up after themselves.
  /// The lock a live kernel holds on its work folder (`.lock`, `flock`): its descriptor stays open, not
  /// inherited by the processes it starts, until the process ends, and the lock with it.
  static let lockName = ".lock"

  static func lockWorkDirectory(_ work: URL) {
    let fd = open(work.appendingPathComponent(lockName).path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      Log.info("cannot lock the work folder \(work.path): another kernel's clean-up could remove it")
      return
    }
  }

  /// Removes the work folders of kernels that have ended (killed, or a crash skipped their clean-up). A
  /// folder is stale when nobody holds its lock: that holds across PID namespaces, where a pid tells
  /// nothing (a container sharing /tmp has its own). A folder without a lock (older kernels, or one a
  /// kernel is creating this instant) is judged by its pid, and only once it is a minute old.
  static func removeStaleWorkDirectories() {
    let temporary = FileManager.default.temporaryDirectory
    for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
    where name.hasPrefix("swift-kernel-") {
      let parts = name.split(separator: "-")
      guard parts.count == 4, let pid = Int32(parts[2]) else { continue }
      let folder = temporary.appendingPathComponent(name)
      let lock = open(folder.appendingPathComponent(lockName).path, O_RDWR | O_CLOEXEC)
      if lock >= 0 {
        defer { close(lock) }
        // Taken: its kernel has ended. (Closing it below lets the lock go with the folder.)
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue }
      } else {
        let age = (try? FileManager.default.attributesOfItem(atPath: folder.path)[.modificationDate] as? Date)
          .map { Date().timeIntervalSince($0) } ?? 0
        guard age > 60, kill(pid, 0) != 0, errno == ESRCH else { continue }
      }
      try? FileManager.default.removeItem(at: folder)
    }
  }

  static var moduleDirectory: String {
    ProcessInfo.processInfo.environment["SWIFT_KERNEL_MODULES"] ?? binDirectory + "/Modules"
  }
}

@main
struct SwiftKernel: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "swift-kernel",
    abstract: "A Jupyter kernel for Swift with a classification runtime preloaded in every cell.",
    subcommands: [
      KernelCommand.self, RunCommand.self, InstallCommand.self, ExecutorCommand.self, SourceKitCommand.self, CompileServiceCommand.self,
    ])
}

struct KernelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernel", abstract: "Serve Jupyter clients (what the kernelspec starts).")

  @Option(name: .customLong("connection-file"), help: "The connection file Jupyter wrote.")
  var connectionFile: String

  func run() throws {
    let connection: ConnectionInfo
    do { connection = try ConnectionInfo(contentsOfFile: connectionFile) } catch { throw ValidationError("\(error)") }
    let (kernel, work, transport) = try Installation.makeKernel(connection: connection)
    kernel.interruptOnSIGINT()
    switch ParentWatch(jpyParentPID: ProcessInfo.processInfo.environment["JPY_PARENT_PID"], parent: getppid()) {
    case .watch(let parent): kernel.stopWhenProcessEnds(parent)
    case .ignore(let reason): if let reason { Log.info(reason) }
    }
    kernel.run()
    try? FileManager.default.removeItem(at: work)
    // The last replies go out before the process ends (a shutdown_reply was seen lost under load).
    transport.close(waiting: 2)
    Foundation.exit(0)
  }
}

struct ExecutorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "executor", abstract: "Run compiled cells for a kernel (started by the kernel itself).",
    shouldDisplay: false)

  @Option(help: "The runtime's shared library, loaded once with RTLD_GLOBAL.")
  var runtime: String?

  func run() throws {
    Executor.main(runtimePath: runtime)
  }
}

struct SourceKitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sourcekit", abstract: "Answer a kernel's completion requests with SourceKit (started by the kernel).",
    shouldDisplay: false)

  @Option(help: "The toolchain's libsourcekitdInProc.so.")
  var library: String

  func run() throws {
    CompletionServer.main(library: library)
  }
}

struct CompileServiceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compile-service", abstract: "Compile a kernel's cells with SourceKit (started by the kernel).",
    shouldDisplay: false)

  @Option(help: "The toolchain's libsourcekitdInProc.so.")
  var library: String

  @Option(help: "Exit after this many seconds without a request (0: never).")
  var idle = 0

  func run() throws {
    CompileServer.main(library: library, idleSeconds: idle)
  }
}

struct InstallCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install", abstract: "Install the kernelspec so Jupyter can start this kernel.")

  @Flag(help: "Install for the current user (the default).")
  var user = false

  @Option(help: "Install under PREFIX/share/jupyter/kernels (a venv's sys.prefix, say).")
  var prefix: String?

  @Option(help: "The kernelspec's name.")
  var name = "swift"

  func run() throws {
    if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
    let base =
      prefix.map { $0 + "/share/jupyter/kernels" }
      ?? (ProcessInfo.processInfo.environment["JUPYTER_DATA_DIR"].map { $0 + "/kernels" }
        ?? NSHomeDirectory() + "/.local/share/jupyter/kernels")
    let directory = URL(fileURLWithPath: base).appendingPathComponent(name)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let toolchain = try Toolchain.locate()
    let bin = URL(fileURLWithPath: toolchain.frontend).deletingLastPathComponent()
    let usr = bin.deletingLastPathComponent().path
    // JupyterLab shows its debugger only for a kernelspec with `metadata.debugger: true`.
    var environment: JSON = ["SWIFT_TOOLCHAIN": .string(usr)]
    var metadata: JSON = [:]
    switch Installation.findDebugAdapter(toolchainBin: bin.path) {
    case .success(let adapter):
      environment["SWIFT_KERNEL_LLDB_DAP"] = .string(adapter.program)
      if let path = adapter.libraryPath { environment["SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH"] = .string(path) }
      metadata["debugger"] = true
    case .failure(let why):
      environment["SWIFT_KERNEL_NO_DEBUGGER"] = .string(why.reason)
      metadata["debugger"] = false
      print("The debugger will be off: \(why.reason)")
    }
    // CurveZMQ (jupyter_client's `transport_encryption`), declared when this libzmq can do it.
    if ZMQSocket.hasCurve { metadata["supported_encryption"] = ["curve"] }
    let spec: JSON = [
      "argv": [.string(Installation.binary), "kernel", "--connection-file", "{connection_file}"],
      "display_name": "Swift (Classification)",
      "language": "swift",
      "interrupt_mode": "message",
      "env": environment,
      "metadata": metadata,
    ]
    try (spec.pretty(indent: 2) + "\n").write(
      to: directory.appendingPathComponent("kernel.json"), atomically: true, encoding: .utf8)
    for logo in ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"] {
      let source = URL(fileURLWithPath: Installation.binDirectory).appendingPathComponent("kernelspec/\(logo)")
      let data = FileManager.default.contents(atPath: source.path) ?? KernelspecLogo.files[logo]
      if let data { try data.write(to: directory.appendingPathComponent(logo)) }
    }
    print("Installed the kernelspec '\(name)' in \(directory.path)")
  }
}
