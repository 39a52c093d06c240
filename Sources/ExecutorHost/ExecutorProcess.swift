import ExecutorWire
import Foundation
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Where the executor and the runtime it loads live.
package struct ExecutorLaunch: Sendable {
  /// The program to start, with the arguments that make it an executor (`swift-kernel executor …`).
  package var program: String
  package var arguments: [String]
  package var workDirectory: URL

  package init(program: String, arguments: [String], workDirectory: URL) {
    self.program = program
    self.arguments = arguments
    self.workDirectory = workDirectory
  }
}

/// The running executor child, seen from the kernel: its pipes and its process.
final class ExecutorProcess {
  let pid: pid_t
  let commandFD: Int32
  let eventFD: Int32
  let inputFD: Int32
  let stdoutFD: Int32
  let stderrFD: Int32
  /// Where the Swift backtracer writes the JSON crash report if the executor traps.
  let crashReportPath: String
  private var events = FrameBuffer()
  private(set) var eventsClosed = false
  /// Set when the executor closed its end of stdout or stderr (the runtime forwards stdout through
  /// events once a cell has run): a closed pipe is readable for ever, so it is no longer polled.
  private(set) var stdoutClosed = false
  private(set) var stderrClosed = false

  /// The descriptors worth waiting on: events, and stdout and stderr while they are open (-1 otherwise,
  /// which `poll` skips).
  var pollDescriptors: [Int32] {
    [eventsClosed ? -1 : eventFD, stdoutClosed ? -1 : stdoutFD, stderrClosed ? -1 : stderrFD]
  }

  /// What was printed on stdout (1) or stderr (2) since the last call, as text; notes a closed pipe.
  func readText(stream: Int) -> String {
    guard stream == 1 ? !stdoutClosed : !stderrClosed else { return "" }
    guard let bytes = Self.readAvailable(stream == 1 ? stdoutFD : stderrFD) else {
      if stream == 1 { stdoutClosed = true } else { stderrClosed = true }
      return ""
    }
    return bytes.isEmpty ? "" : decode(bytes, stream: stream)
  }
  private var exitStatus: Int32?

  init(_ launch: ExecutorLaunch, generation: Int) throws {
    crashReportPath = launch.workDirectory.appendingPathComponent("crash-\(generation).json").path
    unlink(crashReportPath)
    let pipes = try (0..<5).map { _ in try Subprocess.pipe() }
    let (command, event, input, out, err) = (pipes[0], pipes[1], pipes[2], pipes[3], pipes[4])
    var environment = ProcessInfo.processInfo.environment
    environment[PipeFraming.eventFDVariable] = String(PipeFraming.eventFD)
    environment[PipeFraming.inputFDVariable] = String(PipeFraming.inputFD)
    environment["SWIFT_BACKTRACE"] =
      "enable=yes,interactive=no,color=no,format=json,threads=crashed,registers=none,images=none,sanitize=no,output-to=\(crashReportPath)"
    let pid: pid_t
    do {
      pid = try Subprocess.spawn(
        launch.program, launch.arguments, environment: environment,
        fds: [
          (1, out.write), (2, err.write), (PipeFraming.commandFD, command.read), (PipeFraming.eventFD, event.write),
          (PipeFraming.inputFD, input.read),
        ])
    } catch {
      for pipe in pipes {
        close(pipe.read)
        close(pipe.write)
      }
      throw SubprocessError(description: "cannot start the executor: \(error)")
    }
    for fd in [command.read, event.write, input.read, out.write, err.write] { close(fd) }
    self.pid = pid
    commandFD = command.write
    eventFD = event.read
    inputFD = input.write
    stdoutFD = out.read
    stderrFD = err.read
    for fd in [eventFD, stdoutFD, stderrFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
  }

  deinit {
    for fd in [commandFD, eventFD, inputFD, stdoutFD, stderrFD] { close(fd) }
  }

  /// Bytes of a character split across reads of stdout (1) or stderr (2).
  private var carry: [Int: [UInt8]] = [:]

  /// Text of what was read, keeping an incomplete trailing character for the next read.
  func decode(_ bytes: [UInt8], stream: Int) -> String {
    let (complete, rest) = splitCompleteUTF8((carry[stream] ?? []) + bytes)
    carry[stream] = rest
    return String(decoding: complete, as: UTF8.self)
  }

  @discardableResult
  func send(_ command: ExecutorCommand) -> Bool { PipeFraming.write(command, to: commandFD) }

  func reply(input: String?) { PipeFraming.write(InputReply(value: input), to: inputFD) }

  /// Reads what is there without blocking; nil at end of file, [] when nothing is there yet.
  static func readAvailable(_ fd: Int32) -> [UInt8]? {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        result += buffer[0..<n]
        continue
      }
      if n == 0 { return result.isEmpty ? nil : result }
      if errno == EINTR { continue }
      return result
    }
  }

  /// Events that have arrived in full; sets `eventsClosed` when the executor is gone.
  func pendingEvents() -> [ExecutorEvent] {
    guard let bytes = Self.readAvailable(eventFD) else {
      eventsClosed = true
      return []
    }
    events.append(bytes)
    var result: [ExecutorEvent] = []
    while let event = events.next(ExecutorEvent.self) {
      if let event { result.append(event) }
    }
    return result
  }

  /// Kills the process and reaps it; returns how it ended.
  @discardableResult
  func terminate() -> Int32 {
    if let exitStatus { return exitStatus }
    kill(pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    exitStatus = status
    return status
  }

  /// Waits briefly for the process to end by itself (after it closed its pipes), then forces it.
  func reap(graceMilliseconds: Int = 3000) -> Int32 {
    if let exitStatus { return exitStatus }
    var status: Int32 = 0
    for _ in 0..<(graceMilliseconds / 10) {
      let rc = waitpid(pid, &status, WNOHANG)
      if rc == pid {
        exitStatus = status
        return status
      }
      usleep(10_000)
    }
    return terminate()
  }
}
