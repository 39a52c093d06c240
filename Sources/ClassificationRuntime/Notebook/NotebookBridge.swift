internal import ExecutorWire
internal import Foundation
internal import Synchronization

#if canImport(Glibc)
  internal import Glibc
#endif

/// The runtime's link to the kernel: the executor's event and input pipes, when there are any.
enum NotebookBridge {
  /// The event pipe, or nil in a plain process (tests, scripts), where display falls back to text.
  /// Settable so that tests can capture the events a plain process would send.
  static var eventFD: Int32? {
    get {
      let fd = eventDescriptor.load(ordering: .acquiring)
      return fd >= 0 ? fd : nil
    }
    set { eventDescriptor.store(newValue ?? -1, ordering: .releasing) }
  }
  /// `eventFD`, or -1; atomic, so a test capturing events does not race the threads that check it.
  private static let eventDescriptor = Atomic<Int32>(descriptor(PipeFraming.eventFDVariable) ?? -1)
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
