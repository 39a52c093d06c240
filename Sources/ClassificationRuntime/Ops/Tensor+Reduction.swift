internal import Foundation

extension Tensor {
  /// The tensor seen as `[outer, n, inner]` around `axis` (negative axes count from the end).
  func axisLayout(_ axis: Int) -> (axis: Int, outer: Int, n: Int, inner: Int) {
    let a = axis < 0 ? axis + rank : axis
    require(a >= 0 && a < rank, "axis \(axis) is out of range for shape \(shape)")
    return (a, shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
  }

  func reducedShape(_ axis: Int, keepingDims: Bool) -> [Int] {
    var s = shape
    if keepingDims { s[axis] = 1 } else { s.remove(at: axis) }
    return s
  }

  /// The sum of all elements (shape `[]`).
  public func sum() -> Tensor {
    let total = scalars.withUnsafeBufferPointer { ElementwiseLoops.sum($0) }
    let shape = self.shape
    return Tensor.result(shape: [], scalars: [total], inputs: [self]) { grad in
      [Tensor(repeating: grad.scalars[0], shape: shape)]
    }
  }

  public func mean() -> Tensor {
    require(count > 0, "mean of an empty tensor")
    return sum() / Float(count)
  }

  public func sum(axis: Int, keepingDims: Bool = false) -> Tensor {
    let (a, outer, n, inner) = axisLayout(axis)
    var out = [Float](repeating: 0, count: outer * inner)
    scalars.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<outer {
          for k in 0..<n {
            let base = (i * n + k) * inner
            for j in 0..<inner { o[i * inner + j] += x[base + j] }
          }
        }
      }
    }
    let inputShape = shape
    return Tensor.result(shape: reducedShape(a, keepingDims: keepingDims), scalars: out, inputs: [self]) { grad in
      let g = [Float](unsafeUninitializedCapacity: outer * n * inner) { r, count in
        grad.scalars.withUnsafeBufferPointer { g in
          for i in 0..<outer {
            for k in 0..<n {
              for j in 0..<inner { r[(i * n + k) * inner + j] = g[i * inner + j] }
            }
          }
        }
        count = outer * n * inner
      }
      return [Tensor(shape: inputShape, scalars: g)]
    }
  }

  public func mean(axis: Int, keepingDims: Bool = false) -> Tensor {
    let n = axisLayout(axis).n
    return sum(axis: axis, keepingDims: keepingDims) / Float(n)
  }

  /// The largest value along an axis and where it is (the first one, on ties).
  private func scanMaximum(_ outer: Int, _ n: Int, _ inner: Int) -> (values: [Float], winners: [Int]) {
    require(n > 0, "max along an empty axis of shape \(shape)")
    var values = [Float](repeating: 0, count: outer * inner)
    var winners = [Int](repeating: 0, count: outer * inner)
    scalars.withUnsafeBufferPointer { x in
      for i in 0..<outer {
        for j in 0..<inner {
          var best = x[i * n * inner + j]
          var at = 0
          for k in 1..<Swift.max(n, 1) where x[(i * n + k) * inner + j] > best {
            best = x[(i * n + k) * inner + j]
            at = k
          }
          values[i * inner + j] = best
          winners[i * inner + j] = at
        }
      }
    }
    return (values, winners)
  }

  /// The largest element along an axis; the gradient goes to the (first) largest one.
  public func max(axis: Int, keepingDims: Bool = false) -> Tensor {
    let (a, outer, n, inner) = axisLayout(axis)
    let (values, winners) = scanMaximum(outer, n, inner)
    let inputShape = shape
    return Tensor.result(shape: reducedShape(a, keepingDims: keepingDims), scalars: values, inputs: [self]) { grad in
      var g = [Float](repeating: 0, count: outer * n * inner)
      for i in 0..<outer {
        for j in 0..<inner { g[(i * n + winners[i * inner + j]) * inner + j] = grad.scalars[i * inner + j] }
      }
      return [Tensor(shape: inputShape, scalars: g)]
    }
  }

  /// The index of the largest element along an axis, as a tensor of class indices (not differentiable).
  public func argmax(axis: Int, keepingDims: Bool = false) -> Tensor {
    let (a, outer, n, inner) = axisLayout(axis)
    return Tensor(
      shape: reducedShape(a, keepingDims: keepingDims), scalars: scanMaximum(outer, n, inner).winners.map(Float.init))
  }

  /// exp(x) / Σ exp(x) along an axis, computed stably (the maximum is subtracted first).
  public func softmax(axis: Int = -1) -> Tensor {
    let (_, outer, n, inner) = axisLayout(axis)
    let output = softmaxValues(outer: outer, n: n, inner: inner, log: false)
    return Tensor.result(shape: shape, scalars: output, inputs: [self]) { grad in
      // dx = y ⊙ (g − Σ g⊙y)
      var dx = [Float](repeating: 0, count: output.count)
      grad.scalars.withUnsafeBufferPointer { g in
        for i in 0..<outer {
          for j in 0..<inner {
            var dot: Float = 0
            for k in 0..<n { dot += g[(i * n + k) * inner + j] * output[(i * n + k) * inner + j] }
            for k in 0..<n {
              let p = (i * n + k) * inner + j
              dx[p] = output[p] * (g[p] - dot)
            }
          }
        }
      }
      return [Tensor(shape: grad.shape, scalars: dx)]
    }
  }

  /// log(softmax(x)) along an axis, without overflow or log(0).
  public func logSoftmax(axis: Int = -1) -> Tensor {
    let (_, outer, n, inner) = axisLayout(axis)
    let output = softmaxValues(outer: outer, n: n, inner: inner, log: true)
    return Tensor.result(shape: shape, scalars: output, inputs: [self]) { grad in
      // dx = g − softmax ⊙ Σ g
      var dx = [Float](repeating: 0, count: output.count)
      grad.scalars.withUnsafeBufferPointer { g in
        for i in 0..<outer {
          for j in 0..<inner {
            var total: Float = 0
            for k in 0..<n { total += g[(i * n + k) * inner + j] }
            for k in 0..<n {
              let p = (i * n + k) * inner + j
              dx[p] = g[p] - Foundation.exp(output[p]) * total
            }
          }
        }
      }
      return [Tensor(shape: grad.shape, scalars: dx)]
    }
  }

  func softmaxValues(outer: Int, n: Int, inner: Int, log: Bool) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    scalars.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<outer {
          for j in 0..<inner {
            var m = -Float.infinity
            for k in 0..<n { m = Swift.max(m, x[(i * n + k) * inner + j]) }
            var total: Float = 0
            for k in 0..<n { total += Foundation.exp(x[(i * n + k) * inner + j] - m) }
            let logTotal = Foundation.log(total)
            for k in 0..<n {
              let p = (i * n + k) * inner + j
              o[p] = log ? x[p] - m - logTotal : Foundation.exp(x[p] - m - logTotal)
            }
          }
        }
      }
    }
    return out
  }
}
