import Dispatch
import ExecutorWire

/// Logs how long each stage of a compile took, at the debug level (`SWIFT_KERNEL_TRACE` or
/// `SWIFT_KERNEL_LOG=debug`).
final class StageClock {
  private var last = DispatchTime.now()

  func mark(_ stage: String) {
    guard Log.threshold <= .debug else { return }
    let now = DispatchTime.now()
    Log.debug("\(stage): \((now.uptimeNanoseconds - last.uptimeNanoseconds) / 1_000_000) ms")
    last = now
  }
}
