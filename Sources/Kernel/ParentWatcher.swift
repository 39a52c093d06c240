import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Kernel {
  /// Stops the kernel (and so its executor) when the process `pid` ends, as ipykernel does with the
  /// `JPY_PARENT_PID` that jupyter_client sets: a kernel must not outlive the client that started it.
  /// The check is a `kill(pid, 0)` twice a second, so a kernel stops within a second of its client;
  /// `checked` is told each time the process was found alive (tests wait for it instead of a time).
  package func stopWhenProcessEnds(_ pid: pid_t, checked: @escaping @Sendable () -> Void = {}) {
    let thread = Thread { [weak self] in
      while true {
        usleep(500_000)
        guard let self else { return }
        if kill(pid, 0) != 0 && errno == ESRCH {
          self.log("the client process \(pid) has ended; stopping")
          self.post(.stop)
          return
        }
        checked()
      }
    }
    thread.name = "parent-watcher"
    thread.start()
  }
}
