@_implementationOnly import Synchronization

/// A thread-safe request to stop long work; the kernel's interrupt sets it and `Trainer` checks it between batches.
public enum StopRequest {
  private static let flag = Atomic<Bool>(false)

  public static var isRequested: Bool { flag.load(ordering: .relaxed) }
  public static func request() { flag.store(true, ordering: .relaxed) }
  public static func clear() { flag.store(false, ordering: .relaxed) }
}
