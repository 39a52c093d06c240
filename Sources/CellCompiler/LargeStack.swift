import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs work that walks a cell's syntax tree on a thread of its own with a large stack, and waits for it.
/// swift-syntax walks trees recursively, so a cell as deep as a 100,000-long member chain
/// (`x.magnitude.magnitude…`) overflowed the 8 MB stack of the thread that parsed it and ended the kernel.
/// The stack is reserved, not used: pages are touched only as deep as the walk goes. A thread costs tens
/// of microseconds; a cell's parse takes a millisecond or more.
enum LargeStack {
  /// 512 MB: several times what a 100,000-long chain needs.
  static let size = 512 << 20

  static func run<T>(_ body: @escaping () -> T) -> T {
    var result: T?
    let job = Job { result = body() }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, size)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(job).toOpaque()
    let started = pthread_create(
      &thread, &attributes,
      { raw in
        Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().work()
        return nil
      }, context)
    guard started == 0 else {
      // No thread (resources exhausted): this stack, as before.
      Unmanaged<Job>.fromOpaque(context).release()
      return body()
    }
    pthread_join(thread, nil)
    return result!
  }

  private final class Job {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
  }
}
