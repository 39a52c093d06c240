internal import Foundation

/// Allocation settings for a process that allocates and frees the same large buffers every batch.
enum Memory {
  /// glibc serves blocks above its mmap threshold with fresh mappings, so each batch's buffers would
  /// page-fault anew; a higher threshold keeps them in the heap for reuse (PyTorch caches them too).
  static let configured: Void = {
    // mallopt is not in Swift's Glibc module; its parameters from malloc.h.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mTrimThreshold: Int32 = -1
    let mMmapThreshold: Int32 = -3
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      _ = mallopt(mMmapThreshold, 256 << 20)
      _ = mallopt(mTrimThreshold, 512 << 20)
    }
  }()
}
