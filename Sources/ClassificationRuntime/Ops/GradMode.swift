internal import Foundation

/// Whether operations record a graph; `withoutGrad` turns it off, like `torch.no_grad()`.
/// Per thread, as in PyTorch: evaluation on one thread does not stop recording on another.
enum GradMode {
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
  }()

  /// Stored as "disabled" so that a thread's initial nil means enabled.
  static var isEnabled: Bool {
    get { pthread_getspecific(key) == nil }
    set { pthread_setspecific(key, newValue ? nil : UnsafeRawPointer(bitPattern: 1)) }
  }
}

/// Runs `body` without recording operations for differentiation (evaluation, parameter updates).
@discardableResult
public func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
  let previous = GradMode.isEnabled
  GradMode.isEnabled = false
  defer { GradMode.isEnabled = previous }
  return try body()
}
