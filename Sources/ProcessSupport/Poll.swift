import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Waiting for pipes: the one `poll` loop of the kernel's pipe readers (the executor's pipes, shell
/// commands, compilers, the completion server).
package enum Poll {
  /// Waits until one of `fds` can be read (data, or its other end closed), at most `milliseconds`
  /// (-1: no limit). A signal that interrupts the wait (`EINTR`) does not end it early: it waits again
  /// for the time left. Returns, for each fd, whether it is ready; all false when the time ran out.
  @discardableResult
  package static func readable(_ fds: [Int32], milliseconds: Int32 = -1) -> [Bool] {
    let deadline = milliseconds < 0 ? nil : DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
    var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while true {
      var wait: Int32 = -1
      if let deadline {
        let now = DispatchTime.now().uptimeNanoseconds
        // Rounded up: a wait of 0.4 ms left must not spin as 0 ms.
        wait = now >= deadline ? 0 : Int32((deadline - now + 999_999) / 1_000_000)
      }
      let ready = poll(&polls, nfds_t(polls.count), wait)
      if ready >= 0 { return polls.map { $0.revents != 0 } }
      // EBADF and the like: report nothing ready rather than spin.
      if errno != EINTR { return polls.map { _ in false } }
    }
  }
}
