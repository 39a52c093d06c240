internal import Foundation

extension Tensor {
  /// Average over `kernelSize × kernelSize` windows of `[N, C, H, W]`.
  public func avgPool2d(kernelSize: Int, stride: Int? = nil) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, maximum: false)
  }

  /// Maximum over `kernelSize × kernelSize` windows of `[N, C, H, W]`; the gradient goes to the maximum.
  public func maxPool2d(kernelSize: Int, stride: Int? = nil) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, maximum: true)
  }

  private func pool(kernelSize k: Int, stride s: Int, maximum: Bool) -> Tensor {
    require(rank == 4, "pooling needs [N, C, H, W], got \(shape)")
    if k == 2, s == 2, shape[2] % 2 == 0, shape[3] % 2 == 0 { return pool2x2(maximum: maximum) }
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1)
    require(oh > 0 && ow > 0, "pool window \(k) does not fit \(shape)")
    var out = [Float](repeating: 0, count: planes * oh * ow)
    var winners = maximum ? [Int32](repeating: 0, count: out.count) : []
    let area = Float(k * k)
    scalars.withUnsafeBufferPointer { x in
      for p in 0..<planes {
        let base = p * h * w
        for i in 0..<oh {
          for j in 0..<ow {
            let o = (p * oh + i) * ow + j
            if maximum {
              var best = -Float.infinity
              var at = 0
              for di in 0..<k {
                for dj in 0..<k {
                  let q = base + (i * s + di) * w + j * s + dj
                  if x[q] > best {
                    best = x[q]
                    at = q
                  }
                }
              }
              out[o] = best
              winners[o] = Int32(at)
            } else {
              var total: Float = 0
              for di in 0..<k { for dj in 0..<k { total += x[base + (i * s + di) * w + j * s + dj] } }
              out[o] = total / area
            }
          }
        }
      }
    }
    let inputShape = shape
    return Tensor.result(shape: [shape[0], shape[1], oh, ow], scalars: out, inputs: [self]) { grad in
      var dx = [Float](repeating: 0, count: planes * h * w)
      grad.scalars.withUnsafeBufferPointer { g in
        for p in 0..<planes {
          for i in 0..<oh {
            for j in 0..<ow {
              let o = (p * oh + i) * ow + j
              if maximum {
                dx[Int(winners[o])] += g[o]
              } else {
                let share = g[o] / area
                for di in 0..<k { for dj in 0..<k { dx[p * h * w + (i * s + di) * w + j * s + dj] += share } }
              }
            }
          }
        }
      }
      return [Tensor(shape: inputShape, scalars: dx)]
    }
  }

  /// 2×2 windows with stride 2 over even sizes (LeNet's pooling): the windows tile the input exactly,
  /// so the backward pass writes every input element once and needs no zeroed buffer.
  private func pool2x2(maximum: Bool) -> Tensor {
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (oh, ow) = (h / 2, w / 2)
    var winners = maximum ? [UInt8](repeating: 0, count: planes * oh * ow) : []
    let out = [Float](unsafeUninitializedCapacity: planes * oh * ow) { out, count in
      scalars.withUnsafeBufferPointer { x in
        winners.withUnsafeMutableBufferPointer { win in
          Parallel.chunks(planes, work: planes * h * w) { range in
            guard maximum else {
              let first = range.lowerBound
              return AveragePool2x2.average(
                x.baseAddress! + first * h * w, planes: range.count, height: h, width: w,
                into: out.baseAddress! + first * oh * ow)
            }
            for p in range {
              for i in 0..<oh {
                let top = x.baseAddress! + (p * h + 2 * i) * w
                let bottom = top + w
                let o = out.baseAddress! + (p * oh + i) * ow
                for j in 0..<ow {
                  let candidates = (top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1])
                  var best = candidates.0
                  var at: UInt8 = 0
                  if candidates.1 > best {
                    best = candidates.1
                    at = 1
                  }
                  if candidates.2 > best {
                    best = candidates.2
                    at = 2
                  }
                  if candidates.3 > best {
                    best = candidates.3
                    at = 3
                  }
                  o[j] = best
                  win[(p * oh + i) * ow + j] = at
                }
              }
            }
          }
        }
      }
      count = planes * oh * ow
    }
    let inputShape = shape
    return Tensor.result(shape: [shape[0], shape[1], oh, ow], scalars: out, inputs: [self]) { grad in
      let dx = [Float](unsafeUninitializedCapacity: planes * h * w) { dx, count in
        grad.scalars.withUnsafeBufferPointer { g in
          Parallel.chunks(planes, work: planes * h * w) { range in
            guard maximum else {
              let first = range.lowerBound
              return AveragePool2x2.spread(
                g.baseAddress! + first * oh * ow, planes: range.count, height: h, width: w,
                into: dx.baseAddress! + first * h * w)
            }
            for p in range {
              for i in 0..<oh {
                let top = dx.baseAddress! + (p * h + 2 * i) * w
                let bottom = top + w
                let gi = g.baseAddress! + (p * oh + i) * ow
                for j in 0..<ow {
                  let at = winners[(p * oh + i) * ow + j]
                  top[2 * j] = at == 0 ? gi[j] : 0
                  top[2 * j + 1] = at == 1 ? gi[j] : 0
                  bottom[2 * j] = at == 2 ? gi[j] : 0
                  bottom[2 * j + 1] = at == 3 ? gi[j] : 0
                }
              }
            }
          }
        }
        count = planes * h * w
      }
      return [Tensor(shape: inputShape, scalars: dx)]
    }
  }
}
