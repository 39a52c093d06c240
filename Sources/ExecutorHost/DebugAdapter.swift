import ExecutorWire
import Foundation
import JupyterProtocol
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Where the toolchain's `lldb-dap` is and what it needs to start, as the kernelspec recorded it at
/// install time (`SWIFT_KERNEL_LLDB_DAP`, `SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH`), or why there is none.
package struct DebugAdapterLaunch: Sendable {
  package var program: String
  /// Folders for `LD_LIBRARY_PATH` (the toolchain's lldb-dap needs `libpython3.10.so.1.0`).
  package var libraryPath: String?

  package init(program: String, libraryPath: String?) {
    self.program = program
    self.libraryPath = libraryPath
  }

  /// Whether `lldb-dap --version` runs: the one check of "a working lldb-dap" (install uses it too).
  package func check() -> String? {
    guard FileManager.default.isExecutableFile(atPath: program) else { return "\(program) is not there" }
    let result: Subprocess.Result
    do {
      result = try Subprocess.run("/usr/bin/env", environmentArguments + [program, "--version"])
    } catch {
      return "\(program) cannot start: \(error)"
    }
    guard result.status == 0 else {
      let why = (result.stderr + result.stdout).split(separator: "\n").first.map(String.init) ?? "no output"
      return "\(program) --version failed (exit \(result.status)): \(why)"
    }
    return nil
  }

  /// `env` arguments that give the child its library path.
  var environmentArguments: [String] {
    guard let libraryPath, !libraryPath.isEmpty else { return [] }
    let inherited = ProcessInfo.processInfo.environment["LD_LIBRARY_PATH"].map { ":" + $0 } ?? ""
    return ["LD_LIBRARY_PATH=\(libraryPath)\(inherited)"]
  }

  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    if let libraryPath, !libraryPath.isEmpty {
      environment["LD_LIBRARY_PATH"] = libraryPath + (environment["LD_LIBRARY_PATH"].map { ":" + $0 } ?? "")
    }
    return environment
  }
}

/// One `lldb-dap` child speaking the Debug Adapter Protocol on its stdin and stdout
/// (`Content-Length` framed JSON). A reader thread files responses by `request_seq` for `request` to
/// wait on, and hands events to `onEvent`; `onExit` is called once if the child goes away.
final class DebugAdapter: @unchecked Sendable {
  let pid: pid_t
  private let input: Int32
  private let output: Int32
  private let condition = NSCondition()
  private var responses: [Int: JSON] = [:]
  private var closed = false
  private var nextSeq = 1
  private let onEvent: @Sendable (JSON) -> Void
  private let onExit: @Sendable () -> Void
  private var stopping = false

  init(
    _ launch: DebugAdapterLaunch, onEvent: @escaping @Sendable (JSON) -> Void, onExit: @escaping @Sendable () -> Void
  ) throws {
    // A write to an lldb-dap that just died fails with EPIPE: ExecutorHost ignores SIGPIPE for the process.
    let toChild = try Subprocess.pipe()
    let fromChild = try Subprocess.pipe()
    let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
    defer { close(devNull) }
    let errorsTo = Log.threshold <= .debug ? STDERR_FILENO : devNull
    do {
      pid = try Subprocess.spawn(
        launch.program, [], environment: launch.environment,
        fds: [(0, toChild.read), (1, fromChild.write), (2, errorsTo)])
    } catch {
      for fd in [toChild.read, toChild.write, fromChild.read, fromChild.write] { close(fd) }
      throw error
    }
    close(toChild.read)
    close(fromChild.write)
    input = toChild.write
    output = fromChild.read
    self.onEvent = onEvent
    self.onExit = onExit
    let thread = Thread { [self] in readMessages() }
    thread.name = "swift-kernel.lldb-dap"
    thread.start()
  }

  deinit {
    close(input)
  }

  /// Sends a request and returns its seq, without waiting.
  @discardableResult
  func send(_ command: String, arguments: JSON = [:]) -> Int {
    condition.lock()
    let seq = nextSeq
    nextSeq += 1
    condition.unlock()
    let body = Array(
      JSON.object(["seq": .int(seq), "type": "request", "command": .string(command), "arguments": arguments])
        .serialized.utf8)
    let frame = Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    Log.debug("lldb-dap ◀ \(command) \(arguments.serialized.prefix(300))")
    _ = PipeFraming.writeAll(frame, to: input)
    return seq
  }

  /// The response to request `seq`; nil if the adapter is gone or `timeout` passes first.
  func response(to seq: Int, timeout: TimeInterval) -> JSON? {
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while responses[seq] == nil && !closed {
      if !condition.wait(until: deadline) { break }
    }
    return responses.removeValue(forKey: seq)
  }

  /// Sends a request and waits for its response.
  func request(_ command: String, arguments: JSON = [:], timeout: TimeInterval = 30) -> JSON? {
    response(to: send(command, arguments: arguments), timeout: timeout)
  }

  var isClosed: Bool {
    condition.lock()
    defer { condition.unlock() }
    return closed
  }

  /// Ends the child on purpose (no `onExit`).
  func terminate() {
    condition.lock()
    stopping = true
    condition.unlock()
    kill(pid, SIGKILL)
  }

  private func readMessages() {
    var buffer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      buffer += chunk[0..<n]
      while let message = Self.takeMessage(from: &buffer) {
        guard let json = try? JSON(parsing: Data(message)) else { continue }
        if json["type"]?.string == "response", let seq = json["request_seq"]?.int {
          Log.debug("lldb-dap ▶ \(json["command"]?.string ?? "") \(json["success"]?.bool == true ? "ok" : "failed")")
          condition.lock()
          responses[seq] = json
          condition.broadcast()
          condition.unlock()
        } else if json["type"]?.string == "event" {
          Log.debug("lldb-dap ▶ event \(json["event"]?.string ?? "") \(json["body"]?.serialized.prefix(200) ?? "")")
          onEvent(json)
        }
      }
    }
    close(output)
    _ = Subprocess.wait(for: pid)
    condition.lock()
    closed = true
    let expected = stopping
    condition.broadcast()
    condition.unlock()
    if !expected { onExit() }
  }

  /// The next complete message's body in `buffer`, removed from it.
  static func takeMessage(from buffer: inout [UInt8]) -> [UInt8]? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard buffer.count >= 4,
      let end = (0...(buffer.count - 4)).first(where: { buffer[$0..<($0 + 4)].elementsEqual(separator) })
    else { return nil }
    let header = String(decoding: buffer[..<end], as: UTF8.self)
    var length = 0
    for line in header.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
      length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }
    let start = end + 4
    guard buffer.count >= start + length else { return nil }
    let body = Array(buffer[start..<(start + length)])
    buffer.removeFirst(start + length)
    return body
  }
}
