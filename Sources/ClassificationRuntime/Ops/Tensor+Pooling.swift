internal import Foundation

extension Tensor {
  /// Average over `kernelSize × kernelSize` windows of `[N, C, H, W]`; with `padding`, the windows reach
  /// over zeros that count in the average (PyTorch's `count_include_pad=True`).
  public func avgPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, maximum: false)
  }

  /// Maximum over `kernelSize × kernelSize` windows of `[N, C, H, W]` (padding never wins); the gradient
  /// goes to the maximum.
  public func maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, maximum: true)
  }

  /// The average of each plane of `[N, C, H, W]` over `outputSize` bins (PyTorch's `adaptive_avg_pool2d`:
  /// bin i covers rows ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉); `(1, 1)` is global average pooling, `[N, C, 1, 1]`.
  public func adaptiveAvgPool2d(outputSize: (Int, Int)) -> Tensor {
    require(rank == 4, "adaptive pooling needs [N, C, H, W], got \(shape)")
    let (oh, ow) = outputSize
    require(oh > 0 && ow > 0, "adaptive pooling needs a positive output size, got \(outputSize)")
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    func bins(_ size: Int, _ out: Int) -> [Range<Int>] {
      (0..<out).map { i in (i * size / out)..<(((i + 1) * size + out - 1) / out) }
    }
    let (rows, columns) = (bins(h, oh), bins(w, ow))
    let out = [Float](unsafeUninitializedCapacity: planes * oh * ow) { out, written in
      scalars.withUnsafeBufferPointer { x in
        let (x, y) = (x.baseAddress!, out.baseAddress!)
        Parallel.chunks(planes, work: count) { range in
          for p in range {
            for (i, r) in rows.enumerated() {
              for (j, c) in columns.enumerated() {
                var total: Float = 0
                for row in r { total += SIMDLanes.sum(x + (p * h + row) * w + c.lowerBound, count: c.count, shift: 0) }
                y[(p * oh + i) * ow + j] = total / Float(r.count * c.count)
              }
            }
          }
        }
      }
      written = planes * oh * ow
    }
    return pooled(out, outputSize: (oh, ow)) { p, g, d in
      for (i, r) in rows.enumerated() {
        for (j, c) in columns.enumerated() {
          let share = g[(p * oh + i) * ow + j] / Float(r.count * c.count)
          for row in r { for col in c { d[(p * h + row) * w + col] += share } }
        }
      }
    }
  }

  /// The result of a pooling of this tensor's planes into `out` (`outputSize` each), whose gradient `spread`
  /// adds back plane by plane (plane, the output's gradient, the zeroed input gradient); the planes are split
  /// across the cores, each adding into its own planes only.
  private func pooled(
    _ out: [Float], outputSize: (Int, Int),
    _ spread: @escaping (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) -> Tensor {
    let (inputShape, planes, area) = (shape, shape[0] * shape[1], shape[2] * shape[3])
    return Tensor.result(shape: [shape[0], shape[1], outputSize.0, outputSize.1], scalars: out, inputs: [self]) {
      grad in
      var dx = [Float](repeating: 0, count: planes * area)
      grad.scalars.withUnsafeBufferPointer { g in
        dx.withUnsafeMutableBufferPointer { dx in
          let (g, d) = (g.baseAddress!, dx.baseAddress!)
          Parallel.chunks(planes, work: planes * area) { range in
            for p in range { spread(p, g, d) }
          }
        }
      }
      return [Tensor(shape: inputShape, scalars: dx)]
    }
  }

  private func pool(kernelSize k: Int, stride s: Int, padding pad: Int, maximum: Bool) -> Tensor {
    require(rank == 4, "pooling needs [N, C, H, W], got \(shape)")
    require(k > 0 && s > 0 && pad >= 0, "pooling needs a positive kernel size and stride, got \(k) and \(s)")
    require(pad <= k / 2, "pooling padding \(pad) must be at most half the kernel size \(k) (as in PyTorch)")
    if k == 2, s == 2, pad == 0, shape[2] % 2 == 0, shape[3] % 2 == 0 { return pool2x2(maximum: maximum) }
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (oh, ow) = ((h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1)
    require(h + 2 * pad >= k && w + 2 * pad >= k, "pool window \(k) does not fit \(shape) with padding \(pad)")
    // Where each window's maximum is, within its window (row · k + column from the window's corner).
    require(!maximum || k <= 255, "max pooling supports windows up to 255, got \(k)")
    var winners = maximum ? [UInt16](repeating: 0, count: planes * oh * ow) : []
    let area = Float(k * k)
    let earlier = Earlier.uses("scalar-pool")
    let out = [Float](unsafeUninitializedCapacity: planes * oh * ow) { out, written in
      scalars.withUnsafeBufferPointer { x in
        winners.withUnsafeMutableBufferPointer { winners in
          let (x, y, win) = (x.baseAddress!, out.baseAddress!, winners.baseAddress)
          Parallel.chunks(planes, work: planes * oh * ow * k * k) { range in
            if maximum && 2 * pad < k && !earlier {
              return MaxPoolLoops.grid(
                x, planes: range, height: h, width: w, k: k, stride: s, padding: pad, into: y, winners: win!)
            }
            for p in range {
              let base = p * h * w
              for i in 0..<oh {
                let rows = Swift.max(0, i * s - pad)..<Swift.min(h, i * s - pad + k)
                for j in 0..<ow {
                  let columns = Swift.max(0, j * s - pad)..<Swift.min(w, j * s - pad + k)
                  let o = (p * oh + i) * ow + j
                  if maximum {
                    var best = -Float.infinity
                    var at = (rows.lowerBound - (i * s - pad)) * k + columns.lowerBound - (j * s - pad)
                    for r in rows {
                      for c in columns where x[base + r * w + c] > best {
                        best = x[base + r * w + c]
                        at = (r - (i * s - pad)) * k + c - (j * s - pad)
                      }
                    }
                    y[o] = best
                    win![o] = UInt16(at)
                  } else {
                    var total: Float = 0
                    for r in rows { for c in columns { total += x[base + r * w + c] } }
                    y[o] = total / area
                  }
                }
              }
            }
          }
        }
      }
      written = planes * oh * ow
    }
    // Where a winner (row · k + column within its window) is in the plane, from the window's corner: no
    // division per element.
    let winnerOffsets = (0..<(maximum ? k * k : 0)).map { at in at / k * w + at % k }
    return pooled(out, outputSize: (oh, ow)) { p, g, d in
      let base = p * h * w
      for i in 0..<oh {
        if maximum {
          let row = d + base + (i * s - pad) * w - pad
          let (gi, wi) = (g + (p * oh + i) * ow, (p * oh + i) * ow)
          winnerOffsets.withUnsafeBufferPointer { offsets in
            for j in 0..<ow { row[j * s + offsets[Int(winners[wi + j])]] += gi[j] }
          }
          continue
        }
        for j in 0..<ow {
          let share = g[(p * oh + i) * ow + j] / area
          for r in Swift.max(0, i * s - pad)..<Swift.min(h, i * s - pad + k) {
            for c in Swift.max(0, j * s - pad)..<Swift.min(w, j * s - pad + k) { d[base + r * w + c] += share }
          }
        }
      }
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

/// Max pooling's vector loop.
enum MaxPoolLoops {
  /// The maxima of 16 neighbouring k × k windows (stride 1) whose top-left corners are `x`, `x + 1`, …, rows
  /// `pitch` apart, into `out`, and where each maximum is within its window (row · k + column, the first of
  /// equal values, as the scalar loop finds it; `start` if none is above −∞) into `winners`.
  @inline(__always)
  static func sixteen(
    _ x: UnsafePointer<Float>, pitch: Int, k: Int, into out: UnsafeMutablePointer<Float>,
    winners: UnsafeMutablePointer<UInt16>, start: Int32 = 0
  ) {
    var best = SIMDLanes.Vector(repeating: -.infinity)
    var at = SIMD16<Int32>(repeating: start)
    for di in 0..<k {
      for dj in 0..<k {
        let v = SIMDLanes.load(x + di * pitch + dj)
        let greater = v .> best
        best.replace(with: v, where: greater)
        at.replace(with: SIMD16<Int32>(repeating: Int32(di * k + dj)), where: greater)
      }
    }
    SIMDLanes.store(best, out)
    UnsafeMutableRawPointer(winners).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: at), as: SIMD16<UInt16>.self)
  }

  /// Max pooling of `planes` (GoogLeNet's 3×3 with padding 1 in every Inception block, on planes of 12×12
  /// and less, too narrow for a row of 16 windows; ResNet's and GoogLeNet's 3×3 with stride 2): each plane is
  /// copied into a grid padded with −∞, `width + 2·padding` wide, and for each output row the stride-1
  /// windows along the grid row are computed 16 at a time (every `stride`-th kept; those past the row's last
  /// are computed and dropped). The comparisons run in the scalar loop's order (ties go to the first
  /// position); a window of only −∞ or NaN keeps its centre, which is inside the image when `2·padding < k`.
  static func grid(
    _ x: UnsafePointer<Float>, planes: Range<Int>, height h: Int, width w: Int, k: Int, stride s: Int,
    padding pad: Int, into y: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<UInt16>
  ) {
    let (pitch, rows) = (w + 2 * pad, h + 2 * pad)
    let (oh, ow) = ((rows - k) / s + 1, (pitch - k) / s + 1)
    // The stride-1 windows a row needs, rounded up to whole vectors: their reads end within the grid's next
    // row, or the vector's slack after the last.
    let span = ((ow - 1) * s + 1 + SIMDLanes.width - 1) / SIMDLanes.width * SIMDLanes.width
    let grid = UnsafeMutablePointer<Float>.allocate(capacity: rows * pitch + SIMDLanes.width)
    let best = UnsafeMutablePointer<Float>.allocate(capacity: span)
    let at = UnsafeMutablePointer<UInt16>.allocate(capacity: span)
    defer {
      grid.deallocate()
      best.deallocate()
      at.deallocate()
    }
    grid.initialize(repeating: -.infinity, count: rows * pitch + SIMDLanes.width)
    let centre = Int32(pad * k + pad)
    for p in planes {
      for r in 0..<h { (grid + (r + pad) * pitch + pad).update(from: x + (p * h + r) * w, count: w) }
      for i in 0..<oh {
        let row = grid + i * s * pitch
        var q = 0
        while q < span {
          sixteen(row + q, pitch: pitch, k: k, into: best + q, winners: at + q, start: centre)
          q += SIMDLanes.width
        }
        let (target, targetWinners) = (y + (p * oh + i) * ow, winners + (p * oh + i) * ow)
        if s == 1 {
          target.update(from: best, count: ow)
          targetWinners.update(from: at, count: ow)
        } else {
          for j in 0..<ow {
            target[j] = best[j * s]
            targetWinners[j] = at[j * s]
          }
        }
      }
    }
  }
}
