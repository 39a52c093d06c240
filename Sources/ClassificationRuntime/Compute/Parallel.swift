internal import Dispatch
internal import Foundation

/// Splits large loops across the cores (2 here), as PyTorch does for its elementwise kernels.
enum Parallel {
  static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
  /// Below this many elements a loop runs on the calling thread: waking a worker (and competing with
  /// OpenBLAS's spinning threads after a product) costs more than a 64K-element loop takes.
  static let minimumWork = 1 << 18

  /// Calls `body(range)` on disjoint chunks of `0..<count`, in parallel when the work is large.
  @inline(__always)
  static func chunks(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    let parts = work >= minimumWork ? min(cores, count) : 1
    if parts <= 1 {
      body(0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: parts) { part in
      let lower = count * part / parts
      let upper = count * (part + 1) / parts
      if lower < upper { body(lower..<upper) }
    }
  }

  /// Calls `body(range)` on one chunk of `0..<count` per core, in parallel, every chunk starting at a multiple
  /// of `unit` (a kernel's panel); the last may be shorter, and a core gets none when the units run out.
  static func alignedChunks(_ count: Int, unit: Int, _ body: (Range<Int>) -> Void) {
    let step = ((count + cores - 1) / cores + unit - 1) / unit * unit
    parts(cores) { part in
      let lower = Swift.min(count, part * step)
      let upper = Swift.min(count, lower + step)
      if lower < upper { body(lower..<upper) }
    }
  }

  /// Calls `body(part)` for each of `parts` parts, in parallel when there is more than one.
  static func parts(_ parts: Int, _ body: (Int) -> Void) {
    if parts <= 1 {
      body(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: parts, execute: body)
    }
  }
}
