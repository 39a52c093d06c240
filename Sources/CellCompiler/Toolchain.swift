import Foundation

/// The Swift toolchain pieces a cell needs: the frontend, lld, and the runtime libraries.
package struct Toolchain: Sendable {
  package var frontend: String
  /// What links a cell's object into its library: the system's GNU `ld.bfd` when there is one, which
  /// starts in half the time of the toolchain's `ld.lld` (a 100 MB program) and a cell's link is nearly all
  /// start; else `ld.lld`. `SWIFT_KERNEL_LINKER` names another (`ld.lld`'s path, say).
  package var linker: String
  /// `llvm-symbolizer`, which finds a trapped cell's line from its library and an offset.
  package var symbolizer: String { URL(fileURLWithPath: frontend).deletingLastPathComponent().path + "/llvm-symbolizer" }
  /// The in-process SourceKit library code completion loads (it may be missing: completion then keeps
  /// to the names the kernel knows); `SWIFT_KERNEL_SOURCEKIT` names another.
  package var sourceKitLibrary: String {
    if let chosen = ProcessInfo.processInfo.environment["SWIFT_KERNEL_SOURCEKIT"] { return chosen }
    return URL(fileURLWithPath: frontend).deletingLastPathComponent().deletingLastPathComponent().path
      + "/lib/libsourcekitdInProc.so"
  }
  package var swiftLibraryDirectory: String
  package var swiftrt: String
  /// Where the system's libraries are, for `-lm` and what a user's C imports ask for (the clang driver
  /// would add these; the kernel calls lld itself).
  package var systemLibraryDirectories: [String]

  /// Finds the toolchain from `SWIFT_TOOLCHAIN` (its `usr` folder or its root), else from `swift-frontend` on `PATH`.
  package static func locate() throws -> Toolchain {
    let environment = ProcessInfo.processInfo.environment
    var bin: String?
    if let root = environment["SWIFT_TOOLCHAIN"] {
      for candidate in [root + "/bin", root + "/usr/bin"]
      where FileManager.default.isExecutableFile(atPath: candidate + "/swift-frontend") {
        bin = candidate
      }
    }
    if bin == nil {
      for dir in (environment["PATH"] ?? "").split(separator: ":").map(String.init)
      where FileManager.default.isExecutableFile(atPath: dir + "/swift-frontend") {
        let resolved = URL(fileURLWithPath: dir + "/swift-frontend").resolvingSymlinksInPath()
        bin = resolved.deletingLastPathComponent().path
        break
      }
    }
    guard let bin else {
      throw CompileError.toolchain(
        "swift-frontend was not found on PATH; set SWIFT_TOOLCHAIN to the toolchain's usr folder")
    }
    let usr = URL(fileURLWithPath: bin).deletingLastPathComponent().path
    let lib = usr + "/lib/swift/linux"
    #if arch(x86_64)
      let arch = "x86_64"
    #else
      let arch = "aarch64"
    #endif
    let linker =
      environment["SWIFT_KERNEL_LINKER"]
      ?? ["/usr/bin/ld.bfd", bin + "/ld.lld"].first { FileManager.default.isExecutableFile(atPath: $0) }!
    let toolchain = Toolchain(
      frontend: bin + "/swift-frontend", linker: linker,
      swiftLibraryDirectory: lib, swiftrt: "\(lib)/\(arch)/swiftrt.o",
      systemLibraryDirectories: ["/lib/\(arch)-linux-gnu", "/usr/lib/\(arch)-linux-gnu", "/lib", "/usr/lib"].filter {
        FileManager.default.fileExists(atPath: $0)
      })
    for path in [toolchain.linker, toolchain.swiftrt] where !FileManager.default.fileExists(atPath: path) {
      throw CompileError.toolchain("the Swift toolchain at \(usr) has no \(path)")
    }
    return toolchain
  }
}
