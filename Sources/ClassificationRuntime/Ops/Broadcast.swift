/// NumPy broadcasting: shapes are aligned at their last dimension; a dimension of 1 stretches.
enum Broadcast {
  static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    return (0..<rank).map { i in
      require(
        pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1, "shapes \(a) and \(b) cannot be broadcast together")
      return max(pa[i], pb[i])
    }
  }

  /// Strides of `shape` seen through `output` (0 along stretched dimensions).
  static func strides(of shape: [Int], in output: [Int]) -> [Int] {
    let padded = [Int](repeating: 1, count: output.count - shape.count) + shape
    var strides = [Int](repeating: 0, count: output.count)
    var stride = 1
    for i in (0..<output.count).reversed() {
      strides[i] = padded[i] == 1 && output[i] != 1 ? 0 : stride
      stride *= padded[i]
    }
    return strides
  }

  /// Whether `small` is `large`'s trailing dimensions (after leading ones): a repeated row.
  static func isTrailing(_ small: [Int], of large: [Int]) -> Bool {
    var s = small
    while s.first == 1 { s.removeFirst() }
    return s.count <= large.count && Array(large.suffix(s.count)) == s
  }

  /// Applies `f` elementwise with broadcasting.
  @inline(__always)
  static func apply<F: BinaryOp>(_ a: Tensor, _ b: Tensor, _ f: F) -> (shape: [Int], scalars: [Float]) {
    if a.shape == b.shape { return (a.shape, ElementwiseLoops.zip(a.scalars, b.scalars, f)) }
    let out = shape(a.shape, b.shape)
    let total = out.reduce(1, *)
    if b.count == 1, a.count == total {
      let s = b.scalars[0]
      return (out, ElementwiseLoops.map(a.scalars, RightScalar(f: f, s: s)))
    }
    if a.count == 1, b.count == total {
      let s = a.scalars[0]
      return (out, ElementwiseLoops.map(b.scalars, LeftScalar(f: f, s: s)))
    }
    if a.count == total, b.count > 0, isTrailing(b.shape, of: a.shape) {
      let inner = b.count
      let scalars = [Float](unsafeUninitializedCapacity: total) { o, n in
        a.scalars.withUnsafeBufferPointer { a in
          b.scalars.withUnsafeBufferPointer { b in
            var base = 0
            while base < total {
              for j in 0..<inner { o[base + j] = f(a[base + j], b[j]) }
              base += inner
            }
          }
        }
        n = total
      }
      return (out, scalars)
    }
    if b.count == total, a.count > 0, isTrailing(a.shape, of: b.shape) {
      let inner = a.count
      let scalars = [Float](unsafeUninitializedCapacity: total) { o, n in
        a.scalars.withUnsafeBufferPointer { a in
          b.scalars.withUnsafeBufferPointer { b in
            var base = 0
            while base < total {
              for j in 0..<inner { o[base + j] = f(a[j], b[base + j]) }
              base += inner
            }
          }
        }
        n = total
      }
      return (out, scalars)
    }
    return (out, general(a, b, out, f))
  }

  /// Any broadcast: walks the output with an index counter, innermost dimension in a tight loop.
  @inline(__always)
  static func general<F: BinaryOp>(_ a: Tensor, _ b: Tensor, _ out: [Int], _ f: F) -> [Float] {
    let total = out.reduce(1, *)
    guard total > 0 else { return [] }
    let sa = strides(of: a.shape, in: out)
    let sb = strides(of: b.shape, in: out)
    let rank = out.count
    let inner = out[rank - 1]
    let ia = sa[rank - 1]
    let ib = sb[rank - 1]
    return [Float](unsafeUninitializedCapacity: total) { o, n in
      a.scalars.withUnsafeBufferPointer { a in
        b.scalars.withUnsafeBufferPointer { b in
          var walk = StridedWalk(shape: out, strides: sa, sb)
          var position = 0
          while position < total {
            let (oa, ob) = (walk.a, walk.b)
            for j in 0..<inner { o[position + j] = f(a[oa + j * ia], b[ob + j * ib]) }
            position += inner
            walk.advance(through: rank - 2)
          }
        }
      }
      n = total
    }
  }

  /// Sums a gradient of the broadcast shape back down to `shape` (over the stretched dimensions).
  static func reduce(_ grad: Tensor, to shape: [Int]) -> Tensor {
    if grad.shape == shape { return grad }
    let count = shape.reduce(1, *)
    if count == 1 {
      let s = grad.scalars.withUnsafeBufferPointer { ElementwiseLoops.sum($0) }
      return Tensor(shape: shape, scalars: [s])
    }
    if isTrailing(shape, of: grad.shape) {
      var result = [Float](repeating: 0, count: count)
      result.withUnsafeMutableBufferPointer { r in
        grad.scalars.withUnsafeBufferPointer { g in
          var base = 0
          while base < g.count {
            for j in 0..<count { r[j] += g[base + j] }
            base += count
          }
        }
      }
      return Tensor(shape: shape, scalars: result)
    }
    let out = grad.shape
    let st = strides(of: shape, in: out)
    var result = [Float](repeating: 0, count: count)
    var walk = StridedWalk(shape: out, strides: st)
    result.withUnsafeMutableBufferPointer { r in
      grad.scalars.withUnsafeBufferPointer { g in
        for position in 0..<g.count {
          r[walk.a] += g[position]
          walk.advance(through: out.count - 1)
        }
      }
    }
    return Tensor(shape: shape, scalars: result)
  }
}
