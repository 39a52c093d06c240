import Dispatch
import ExecutorWire

/// Logs how long each stage of a compile took, at the debug level (`SWIFT_KERNEL_TRACE` or
/// `SWIFT_KERNEL_LOG=debug`).
package final class StageClock {
  private var last = DispatchTime.now()
  package init() {}

  package func mark(_ stage: String) {
    guard Log.threshold <= .debug else { return }
    let now = DispatchTime.now()
    let tenths = (now.uptimeNanoseconds - last.uptimeNanoseconds) / 100_000
    Log.debug("\(stage): \(tenths / 10).\(tenths % 10) ms")
    last = now
  }
}
