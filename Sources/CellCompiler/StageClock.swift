import Foundation

/// Logs how long each stage of a compile took, when `SWIFT_KERNEL_TRACE` is set.
final class StageClock {
  static let enabled = ProcessInfo.processInfo.environment["SWIFT_KERNEL_TRACE"] != nil
  private var last = DispatchTime.now()

  func mark(_ stage: String) {
    guard Self.enabled else { return }
    let now = DispatchTime.now()
    FileHandle.standardError.write(
      Data("[swift-kernel] \(stage): \((now.uptimeNanoseconds - last.uptimeNanoseconds) / 1_000_000) ms\n".utf8))
    last = now
  }
}
