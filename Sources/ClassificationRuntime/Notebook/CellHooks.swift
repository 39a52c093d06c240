// Hooks the executor finds with dlsym. `request` runs in a signal handler: it only stores an atomic.
@_cdecl("swift_kernel_begin_cell")
public func _swiftKernelBeginCell(_ allowStdin: Bool) {
  _ = StdoutForwarder.start
  StopFlag.shared.clear()
  NotebookBridge.allowStdin.store(allowStdin, ordering: .relaxed)
}

/// Called after a cell returns: everything it printed is forwarded before the kernel hears it ended.
@_cdecl("swift_kernel_end_cell")
public func _swiftKernelEndCell() {
  RunningCell.number.store(-1, ordering: .releasing)
  StdoutForwarder.drain()
}

@_cdecl("swift_kernel_request_stop")
public func _swiftKernelRequestStop() { StopFlag.shared.request() }

@_cdecl("swift_kernel_stop_requested")
public func _swiftKernelStopRequested() -> Bool { StopFlag.shared.isRequested }
