internal import Synchronization

/// Whether the user asked the running cell to stop (the toolbar's stop button, or SIGINT): long loops
/// written in a cell check it, as `Trainer` does between batches.
public enum StopRequest {
  public static var isRequested: Bool { StopFlag.shared.isRequested }
}

/// A thread-safe request to stop long work: `Trainer` checks one between batches.
final class StopFlag: Sendable {
  /// The process's: the kernel's interrupt sets it (`swift_kernel_request_stop`, from a signal handler,
  /// which only stores an atomic; `swift_kernel_begin_cell` has created it by then).
  static let shared = StopFlag()

  private let flag = Atomic<Bool>(false)

  var isRequested: Bool { flag.load(ordering: .relaxed) }
  func request() { flag.store(true, ordering: .relaxed) }
  func clear() { flag.store(false, ordering: .relaxed) }
}
