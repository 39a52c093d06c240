internal import ExecutorWire
internal import Foundation
internal import Synchronization

#if canImport(Glibc)
  internal import Glibc
#endif

/// Sends what the cell prints as stream events on the event pipe, so text and displays keep their order.
///
/// Without it, stdout went to the kernel on its own pipe, and text printed just after a display could be
/// read, and shown, before it. stdout is redirected into an internal pipe. Every read of that pipe happens
/// under one lock, by the forwarding thread or by `drain()` before an event: whatever was printed before an
/// event is therefore on the event pipe before it.
enum StdoutForwarder {
  private static let forwarding = Mutex<Void>(())
  nonisolated(unsafe) private static var readEnd: Int32 = -1
  /// The start of a character split by a read, completed by the next one (guarded by `forwarding`).
  nonisolated(unsafe) private static var carry: [UInt8] = []

  /// Starts forwarding (once), when the process talks to a kernel.
  static let start: Void = {
    guard NotebookBridge.isConnected else { return }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return }
    fflush(stdout)
    dup2(fds[1], STDOUT_FILENO)
    close(fds[1])
    _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
    readEnd = fds[0]
    Thread.detachNewThread {
      var wait = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
      while true {
        wait.revents = 0
        if poll(&wait, 1, -1) < 0 && errno != EINTR { return }
        let open = forwarding.withLock { _ in forwardAvailable() }
        if !open { return }
      }
    }
  }()

  /// Returns when everything printed so far is on the event pipe.
  static func drain() {
    fflush(stdout)
    guard readEnd >= 0 else { return }
    forwarding.withLock { _ in _ = forwardAvailable() }
  }

  /// Reads what the pipe holds and sends it as stream events; false at end of file. Call with the lock held.
  private static func forwardAvailable() -> Bool {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
      if n > 0 {
        let (complete, rest) = splitCompleteUTF8(carry + buffer[0..<n])
        carry = rest
        if !complete.isEmpty {
          NotebookBridge.write(
            PipeFraming.frame(ExecutorEvent.stream(name: "stdout", text: String(decoding: complete, as: UTF8.self))))
        }
        continue
      }
      if n < 0 && errno == EINTR { continue }
      return n != 0
    }
  }
}
