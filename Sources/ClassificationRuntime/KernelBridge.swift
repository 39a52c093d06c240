@_implementationOnly import ExecutorWire
@_implementationOnly import Foundation
@_implementationOnly import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The runtime's link to the kernel: the executor's event and input pipes, when there are any.
enum KernelBridge {
  /// The event pipe, or nil in a plain process (tests, scripts), where display falls back to text.
  /// Settable so that tests can capture the events a plain process would send.
  nonisolated(unsafe) static var eventFD: Int32? = descriptor(PipeFraming.eventFDVariable)
  static let inputFD: Int32? = descriptor(PipeFraming.inputFDVariable)
  static let allowStdin = Atomic<Bool>(false)
  private static let writeLock = Mutex<Void>(())

  static var isConnected: Bool { eventFD != nil }

  /// Sends an event after flushing stdout, so text printed before it is streamed before it.
  static func emit(_ event: ExecutorEvent) {
    guard let fd = eventFD else { return }
    fflush(stdout)
    let bytes = PipeFraming.frame(event)
    writeLock.withLock { _ in _ = PipeFraming.writeAll(bytes, to: fd) }
  }

  private static func descriptor(_ variable: String) -> Int32? {
    guard let text = ProcessInfo.processInfo.environment[variable], let fd = Int32(text) else { return nil }
    return fd
  }
}

/// A thread-safe request to stop long work; the kernel's interrupt sets it and `Trainer` checks it between batches.
public enum StopRequest {
  private static let flag = Atomic<Bool>(false)

  public static var isRequested: Bool { flag.load(ordering: .relaxed) }
  public static func request() { flag.store(true, ordering: .relaxed) }
  public static func clear() { flag.store(false, ordering: .relaxed) }
}

// Hooks the executor finds with dlsym. `request` runs in a signal handler: it only stores an atomic.
@_cdecl("swift_kernel_begin_cell")
public func _swiftKernelBeginCell(_ allowStdin: Bool) {
  StopRequest.clear()
  KernelBridge.allowStdin.store(allowStdin, ordering: .relaxed)
}

@_cdecl("swift_kernel_request_stop")
public func _swiftKernelRequestStop() { StopRequest.request() }

@_cdecl("swift_kernel_stop_requested")
public func _swiftKernelStopRequested() -> Bool { StopRequest.isRequested }

/// Reads a line of input: in the kernel it asks the notebook (`input_request`); without stdin it returns nil at once.
///
/// It shadows the standard library's `readLine` in cells, so user code is unchanged.
public func readLine(strippingNewline: Bool = true) -> String? {
  readLine(prompt: "", strippingNewline: strippingNewline)
}

/// Reads a line of input after showing `prompt`; `password` hides what is typed in the notebook.
public func readLine(prompt: String, password: Bool = false, strippingNewline: Bool = true) -> String? {
  guard KernelBridge.isConnected, let inputFD = KernelBridge.inputFD else {
    if !prompt.isEmpty { print(prompt, terminator: "") }
    return Swift.readLine(strippingNewline: strippingNewline)
  }
  guard KernelBridge.allowStdin.load(ordering: .relaxed), !StopRequest.isRequested else { return nil }
  KernelBridge.emit(.inputRequest(prompt: prompt, password: password))
  guard let reply = PipeFraming.read(InputReply.self, from: inputFD), let value = reply.value else { return nil }
  return strippingNewline ? value : value + "\n"
}

/// Fails the running cell with a clear error without ending the session (no trap, state kept).
///
/// In the kernel the cell's output is an `error` when it ends; in a plain process the message goes to stderr.
public enum CellError {
  public static func report(name: String, value: String) {
    if KernelBridge.isConnected {
      KernelBridge.emit(.cellError(name: name, value: value))
    } else {
      FileHandle.standardError.write(Data("\(name): \(value)\n".utf8))
    }
  }
}
