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

  /// Sends an event after everything printed before it: stdout is flushed and forwarded first.
  static func emit(_ event: ExecutorEvent) {
    guard let fd = eventFD else { return }
    StdoutForwarder.drain()
    let bytes = PipeFraming.frame(event)
    writeLock.withLock { _ in _ = PipeFraming.writeAll(bytes, to: fd) }
  }

  private static func descriptor(_ variable: String) -> Int32? {
    guard let text = ProcessInfo.processInfo.environment[variable], let fd = Int32(text) else { return nil }
    return fd
  }

  /// Writes a frame under the lock that keeps frames whole.
  static func write(_ bytes: [UInt8]) {
    guard let fd = eventFD else { return }
    writeLock.withLock { _ in _ = PipeFraming.writeAll(bytes, to: fd) }
  }
}

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
    guard KernelBridge.isConnected else { return }
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
          KernelBridge.write(PipeFraming.frame(ExecutorEvent.stream(name: "stdout", text: String(decoding: complete, as: UTF8.self))))
        }
        continue
      }
      if n < 0 && errno == EINTR { continue }
      return n != 0
    }
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
  _ = StdoutForwarder.start
  StopRequest.clear()
  KernelBridge.allowStdin.store(allowStdin, ordering: .relaxed)
}

/// Called after a cell returns: everything it printed is forwarded before the kernel hears it ended.
@_cdecl("swift_kernel_end_cell")
public func _swiftKernelEndCell() { StdoutForwarder.drain() }

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
