import ExecutorWire
import Foundation
import ProcessSupport
import SourceKitCompletion

#if canImport(Glibc)
  import Glibc
#endif

/// The kernel's side of the completion server (`swift-kernel sourcekit`), a child process started at
/// the first completion (an idle kernel that is never asked costs nothing) and again if it dies.
/// An answer that takes longer than the time allowed is dropped when it arrives late, and the caller
/// falls back to the names it knows.
final class CompletionClient {
  private let program: String
  private let arguments: [String]
  private var pid: pid_t?
  private var toServer: Int32 = -1
  private var fromServer: Int32 = -1
  private var nextID = 0
  private var frames = FrameBuffer()
  /// Why the server cannot complete (SourceKit missing): asked once, then not again.
  private(set) var unavailable: String?
  /// Whether an answer has come back yet; the first one waits longer (SourceKit loads the modules).
  private var warm = false
  /// `complete` runs on the dispatcher thread, `prepare` on the execution thread.
  private let lock = NSLock()

  init(program: String, arguments: [String]) {
    self.program = program
    self.arguments = arguments
  }

  deinit { stop() }

  /// The server's matches, or nil (no server, an error, or no answer in time).
  /// Whether `prepare` has anything to do: no server has been started yet, and SourceKit is there.
  var needsPreparing: Bool {
    lock.lock()
    defer { lock.unlock() }
    return pid == nil && unavailable == nil && !warm
  }

  /// Starts the server and has it load the session's modules now (after the first cell), without
  /// waiting: JupyterLab gives up on a completion after 1 s, and SourceKit's first one can take longer.
  func prepare(file: String, text: String, offset: Int, arguments compilerArguments: [String]) {
    lock.lock()
    defer { lock.unlock() }
    guard unavailable == nil, pid == nil else { return }
    start()
    guard pid != nil else { return }
    nextID += 1
    let query = CompletionQuery(
      id: nextID, file: file, text: text, offset: offset, prefix: "", arguments: compilerArguments)
    if !PipeFraming.write(query, to: toServer) { stop() }
  }

  func complete(file: String, text: String, offset: Int, prefix: String, arguments compilerArguments: [String])
    -> [CompletionMatch]?
  {
    lock.lock()
    defer { lock.unlock() }
    guard unavailable == nil else { return nil }
    if pid == nil { start() }
    guard pid != nil else { return nil }
    nextID += 1
    let query = CompletionQuery(
      id: nextID, file: file, text: text, offset: offset, prefix: prefix, arguments: compilerArguments)
    guard PipeFraming.write(query, to: toServer) else {
      stop()
      return nil
    }
    let deadline = Date().addingTimeInterval(warm ? 2 : 15)
    while Date() < deadline {
      while let frame = frames.next(CompletionAnswer.self) {
        guard let answer = frame, answer.id == query.id else { continue }
        warm = true
        if let error = answer.error, answer.matches.isEmpty, error.contains("cannot load") || error.contains(" has no ")
        {
          unavailable = error
          stop()
        }
        return answer.error == nil ? answer.matches : nil
      }
      let wait = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
      guard Poll.readable([fromServer], milliseconds: wait)[0] else { continue }
      guard let bytes = ExecutorProcess.readAvailable(fromServer) else {
        stop()  // it died (SourceKit crashed): the next completion starts a new one
        return nil
      }
      frames.append(bytes)
    }
    return nil
  }

  private func start() {
    do {
      let requests = try Subprocess.pipe()
      let answers = try Subprocess.pipe()
      let quiet = open("/dev/null", O_WRONLY | O_CLOEXEC)
      defer { close(quiet) }
      // SourceKit prints compiler diagnostics on stderr now and then: not the kernel log's business.
      pid = try Subprocess.spawn(
        program, arguments, fds: [(0, requests.read), (1, answers.write), (2, quiet)])
      close(requests.read)
      close(answers.write)
      toServer = requests.write
      fromServer = answers.read
      _ = fcntl(fromServer, F_SETFL, fcntl(fromServer, F_GETFL) | O_NONBLOCK)
      frames = FrameBuffer()
      warm = false
    } catch {
      unavailable = "\(error)"
    }
  }

  func shutdown() {
    lock.lock()
    defer { lock.unlock() }
    stop()
  }

  private func stop() {
    guard let pid else { return }
    close(toServer)
    close(fromServer)
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    self.pid = nil
  }
}
