import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What the kernel does with the `JPY_PARENT_PID` it was started with.
package enum ParentWatch: Equatable, Sendable {
  /// Stop when this process, the kernel's parent, ends.
  case watch(pid_t)
  /// Watch nothing; `reason` (for the log) says why when the variable was set.
  case ignore(reason: String?)

  /// ipykernel's rule (`ParentPollerUnix`): the variable counts only when it names the kernel's own parent.
  /// Kernel Gateway and Enterprise Gateway set it to their own pid, and a kernel they did not start
  /// directly (a launcher in between, session persistence, the variable leaked to another host) would
  /// otherwise stop at once, or when an unrelated process with that number ends.
  package init(jpyParentPID value: String?, parent: pid_t) {
    guard let value else {
      self = .ignore(reason: nil)
      return
    }
    guard let pid = pid_t(value.trimmingCharacters(in: .whitespaces)), pid > 0 else {
      self = .ignore(reason: "JPY_PARENT_PID '\(value)' is not a process id; not watching a parent")
      return
    }
    // pid 1 never ends, and a kernel whose parent is already init cannot tell its parent has gone.
    guard pid > 1, pid == parent else {
      self = .ignore(
        reason: "JPY_PARENT_PID \(pid) is not this kernel's parent (\(parent)); not watching it, as ipykernel")
      return
    }
    self = .watch(pid)
  }
}

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
