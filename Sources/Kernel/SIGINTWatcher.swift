import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The write end of the pipe the SIGINT handler writes to (`write` is async-signal-safe).
nonisolated(unsafe) private var sigintPipeWrite: Int32 = -1

extension Kernel {
  /// Makes SIGINT to this process interrupt the running cell, as `interrupt_request` does (the
  /// kernelspec's `interrupt_mode` is "message", but `jupyter console` and people send the signal).
  /// The handler only writes a byte; a thread turns it into an interrupt. Call once per process.
  package func interruptOnSIGINT() {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { return log("cannot watch SIGINT: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
    sigintPipeWrite = fds[1]
    signal(SIGINT) { _ in
      var byte: UInt8 = 1
      _ = write(sigintPipeWrite, &byte, 1)
    }
    let readEnd = fds[0]
    let thread = Thread { [weak self] in
      var byte: UInt8 = 0
      while true {
        let n = read(readEnd, &byte, 1)
        if n < 0 && errno == EINTR { continue }
        guard n > 0, let self else { return }
        self.interrupt()
      }
    }
    thread.name = "sigint"
    thread.start()
  }
}
