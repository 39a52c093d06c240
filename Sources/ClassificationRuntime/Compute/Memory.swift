internal import Foundation

/// Allocation settings for a process that allocates and frees the same large buffers every batch.
enum Memory {
  /// glibc serves blocks above its mmap threshold with fresh mappings, so each batch's buffers would
  /// page-fault anew; a higher threshold keeps them in the heap for reuse. But freed heap blocks stay
  /// resident, and the large activations of a CNN (ResNet-18's first layers: 19 to 75 MB each at batch 128)
  /// leave holes the smaller ones do not fill: measured on ResNet-18's training step, a 256 MB threshold
  /// held 810 MB resident for 580 MB in use. At 16 MB those tensors get mappings of their own, returned
  /// when freed (peak 770 MB), for about 0.5 s of page faults a step; LeNet's and the MLP's buffers (2 MB
  /// and less) stay in the heap as before.
  static let configured: Void = {
    // mallopt is not in Swift's Glibc module; its parameters from malloc.h.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mTrimThreshold: Int32 = -1
    let mMmapThreshold: Int32 = -3
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      _ = mallopt(mMmapThreshold, 16 << 20)
      _ = mallopt(mTrimThreshold, 512 << 20)
    }
  }()
}
