import Foundation

/// The Swift toolchain pieces a cell needs: the frontend, clang with lld, and the runtime libraries.
public struct Toolchain: Sendable {
  public var frontend: String
  public var clang: String
  public var autolinkExtract: String
  public var swiftLibraryDirectory: String
  public var swiftrt: String

  /// Finds the toolchain from `SWIFT_TOOLCHAIN` (its `usr` folder or its root), else from `swift-frontend` on `PATH`.
  public static func locate() throws -> Toolchain {
    let environment = ProcessInfo.processInfo.environment
    var bin: String?
    if let root = environment["SWIFT_TOOLCHAIN"] {
      for candidate in [root + "/bin", root + "/usr/bin"] where FileManager.default.isExecutableFile(atPath: candidate + "/swift-frontend") {
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
    guard let bin else { throw CompileError.toolchain("swift-frontend was not found on PATH; set SWIFT_TOOLCHAIN to the toolchain's usr folder") }
    let usr = URL(fileURLWithPath: bin).deletingLastPathComponent().path
    let lib = usr + "/lib/swift/linux"
    #if arch(x86_64)
      let arch = "x86_64"
    #else
      let arch = "aarch64"
    #endif
    let toolchain = Toolchain(
      frontend: bin + "/swift-frontend", clang: bin + "/clang", autolinkExtract: bin + "/swift-autolink-extract",
      swiftLibraryDirectory: lib, swiftrt: "\(lib)/\(arch)/swiftrt.o")
    for path in [toolchain.clang, toolchain.swiftrt] where !FileManager.default.fileExists(atPath: path) {
      throw CompileError.toolchain("the Swift toolchain at \(usr) has no \(path)")
    }
    return toolchain
  }
}

/// The output of a finished child process.
struct ProcessResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs a program to completion and collects its output (both pipes drained together, so neither blocks).
func runProcess(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  if let environment { process.environment = environment }
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  process.standardInput = FileHandle.nullDevice
  try process.run()
  nonisolated(unsafe) var errData = Data()
  let group = DispatchGroup()
  group.enter()
  DispatchQueue.global().async {
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  let outData = out.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self))
}
