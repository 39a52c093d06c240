import ExecutorWire
import Foundation
import JupyterProtocol
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// lldb-dap's events, and what the executor's life asks of the debugger: an interrupt while stopped, a cell's
/// end, a new executor, lldb-dap's own death.
extension Debugger {
  func received(_ event: JSON) {
    let name = event["event"]?.string ?? ""
    var forwardIt = true
    var continueThread: Int?
    state.withLock { state in
      switch name {
      case "initialized":
        state.initializedSeen = true
        forwardIt = false
      case "stopped":
        if state.interrupting {
          continueThread = event["body"]?["threadId"]?.int ?? 0
          forwardIt = false
        } else if !state.quiet, let thread = event["body"]?["threadId"]?.int {
          state.stoppedThreads = [thread]
        }
      case "continued":
        if let thread = event["body"]?["threadId"]?.int { state.stoppedThreads.remove(thread) }
        if event["body"]?["allThreadsContinued"]?.bool ?? true { state.stoppedThreads = [] }
      case "exited", "terminated":
        state.debuggeeEnded = true
        forwardIt = false
      case "breakpoint" where state.interrupting:
        forwardIt = false  // the interrupt's own removal and re-setting
      case "module", "process":
        forwardIt = false
      default: break
      }
      if state.quiet { forwardIt = false }
    }
    if name == "initialized" {
      initialized.lock()
      initialized.broadcast()
      initialized.unlock()
    }
    if let thread = continueThread {
      // Called on the reader thread: send and do not wait, the answer comes on this thread.
      state.withLock { $0.adapter }?.send("continue", arguments: ["threadId": .int(thread)])
    }
    if forwardIt { publish?(event) }
  }

  /// The event JupyterLab clears its stopped view on.
  func publishContinued(_ thread: Int?) {
    publish?([
      "type": "event", "seq": 0, "event": "continued",
      "body": ["threadId": .int(thread ?? 0), "allThreadsContinued": true],
    ])
  }

  /// lldb-dap ended by itself. While the executor lived under it, its breakpoint instructions stay in
  /// the code: the host restarts the executor.
  func adapterExited() {
    let (wasAttached, debuggeeEnded) = state.withLock { state in
      defer {
        state.adapter = nil
        state.attached = false
        state.stoppedThreads = []
        state.interrupting = false
      }
      return (state.attached, state.debuggeeEnded)
    }
    initialized.lock()
    initialized.broadcast()
    initialized.unlock()
    guard wasAttached, !debuggeeEnded else { return }
    Log.error("lldb-dap ended unexpectedly; the executor will be restarted to clear its breakpoints")
    host?.debuggerLost()
  }

  /// A cell is being interrupted: if it is stopped in the debugger, its breakpoints go off and it goes on,
  /// so that it meets the interrupt; `cellFinished` sets them again.
  func cellInterrupted() {
    let stopped = state.withLock { $0.attached ? $0.stoppedThreads : [] }
    guard !stopped.isEmpty else { return }
    conversation.lock()
    defer { conversation.unlock() }
    guard let adapter = state.withLock({ $0.adapter }) else { return }
    state.withLock { $0.interrupting = true }
    for path in state.withLock({ $0.breakpoints.keys }) {
      _ = adapter.request("setBreakpoints", arguments: ["source": ["path": .string(path)], "breakpoints": []])
    }
    let thread = stopped.first
    _ = adapter.request("continue", arguments: ["threadId": .int(thread ?? 0)])
    state.withLock { $0.stoppedThreads = [] }
    publishContinued(thread)
  }

  /// The cell ended: breakpoints taken off by an interrupt are set again.
  func cellFinished() {
    guard state.withLock({ $0.interrupting }) else { return }
    conversation.lock()
    defer { conversation.unlock() }
    let (adapter, breakpoints) = state.withLock { state in
      state.interrupting = false
      return (state.adapter, state.breakpoints)
    }
    for (path, list) in breakpoints {
      _ = adapter?.request("setBreakpoints", arguments: ["source": ["path": .string(path)], "breakpoints": list])
    }
  }

  /// A new executor started (a crash, `%reset`, a restart after an interrupt): attach to it with a new
  /// lldb-dap and set the breakpoints again.
  func executorStarted(pid: pid_t) {
    guard case .success(let launch) = launch, state.withLock({ $0.attached }) else { return }
    conversation.lock()
    defer { conversation.unlock() }
    let old = state.withLock { state in
      defer { state.adapter = nil }
      return state.adapter
    }
    old?.terminate()
    do {
      try startAdapter(launch)
    } catch {
      Log.error("cannot start lldb-dap again: \(error)")
      state.withLock { $0.attached = false }
      return
    }
    guard let adapter = state.withLock({ $0.adapter }) else { return }
    state.withLock { $0.quiet = true }
    _ = adapter.request("initialize", arguments: state.withLock { $0.initializeArguments })
    let response = attach(adapter, to: pid)
    if response?["success"]?.bool != true {
      Log.error("lldb-dap could not attach to the new executor: \(response?["message"]?.string ?? "no answer")")
    } else {
      Log.info("the debugger attached to the new executor (pid \(pid))")
    }
  }
}
