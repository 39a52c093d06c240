/// Walks the positions of `shape` in row-major order, keeping the offsets `a` and `b` of two strided views
/// of it (a stride of 0 repeats along a broadcast dimension), like an odometer.
struct StridedWalk {
  let shape: [Int]
  let stridesA: [Int]
  let stridesB: [Int]
  private var index: [Int]
  private(set) var a = 0
  private(set) var b = 0

  init(shape: [Int], strides a: [Int], _ b: [Int]? = nil) {
    self.shape = shape
    stridesA = a
    stridesB = b ?? [Int](repeating: 0, count: shape.count)
    index = [Int](repeating: 0, count: shape.count)
  }

  /// Steps to the next position over dimensions `0...last`; the caller walks the ones after `last` itself.
  @inline(__always)
  mutating func advance(through last: Int) {
    var d = last
    while d >= 0 {
      index[d] += 1
      a += stridesA[d]
      b += stridesB[d]
      if index[d] < shape[d] { return }
      a -= stridesA[d] * shape[d]
      b -= stridesB[d] * shape[d]
      index[d] = 0
      d -= 1
    }
  }
}
