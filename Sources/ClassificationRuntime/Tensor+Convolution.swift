@_implementationOnly import Foundation

extension Tensor {
  /// 2-D convolution of `[N, C, H, W]` with `weight` `[O, C, kh, kw]` (and `bias` `[O]`): im2col, then
  /// one matrix product for the whole batch. The gradients are two more products and a col2im.
  public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
      "conv2d needs input [N, C, H, W] and weight [O, C, kh, kw] with the same C; got \(shape) and \(weight.shape)")
    let g = ConvGeometry(input: shape, kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding)
    let outChannels = weight.shape[0]
    precondition(g.outHeight > 0 && g.outWidth > 0, "conv2d: kernel \(weight.shape) does not fit input \(shape) with padding \(padding)")
    if let bias { precondition(bias.shape == [outChannels], "conv2d bias must be [\(outChannels)], got \(bias.shape)") }
    let cols = g.im2col(scalars)
    // [O, CKK] · [CKK, N·HW] → [O, N·HW]
    var rows = Tensor.gemm(weight.scalars, cols, m: outChannels, n: g.positions, k: g.patch, transposeA: false, transposeB: false)
    if let bias {
      rows.withUnsafeMutableBufferPointer { r in
        for o in 0..<outChannels {
          let b = bias.scalars[o]
          for p in (o * g.positions)..<((o + 1) * g.positions) { r[p] += b }
        }
      }
    }
    let out = g.channelMajorToBatchMajor(rows, channels: outChannels)
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Tensor.result(shape: [g.batch, outChannels, g.outHeight, g.outWidth], scalars: out, inputs: inputs) { grad in
      let dRows = g.batchMajorToChannelMajor(grad.scalars, channels: outChannels)
      var grads: [Tensor?] = [nil, nil]
      if self.requiresGrad {
        // [CKK, O] · [O, N·HW]
        let dCols = Tensor.gemm(weight.scalars, dRows, m: g.patch, n: g.positions, k: outChannels, transposeA: true, transposeB: false)
        grads[0] = Tensor(shape: self.shape, scalars: g.col2im(dCols))
      }
      if weight.requiresGrad {
        // [O, N·HW] · [N·HW, CKK]
        let dW = Tensor.gemm(dRows, cols, m: outChannels, n: g.patch, k: g.positions, transposeA: false, transposeB: true)
        grads[1] = Tensor(shape: weight.shape, scalars: dW)
      }
      if let bias {
        var db = [Float](repeating: 0, count: outChannels)
        if bias.requiresGrad {
          dRows.withUnsafeBufferPointer { d in
            for o in 0..<outChannels { db[o] = Kernels.sum(UnsafeBufferPointer(rebasing: d[(o * g.positions)..<((o + 1) * g.positions)])) }
          }
        }
        grads.append(bias.requiresGrad ? Tensor(shape: [outChannels], scalars: db) : nil)
      }
      return grads
    }
  }

  /// Average over `kernelSize × kernelSize` windows of `[N, C, H, W]`.
  public func avgPool2d(kernelSize: Int, stride: Int? = nil) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, maximum: false)
  }

  /// Maximum over `kernelSize × kernelSize` windows of `[N, C, H, W]`; the gradient goes to the maximum.
  public func maxPool2d(kernelSize: Int, stride: Int? = nil) -> Tensor {
    pool(kernelSize: kernelSize, stride: stride ?? kernelSize, maximum: true)
  }

  private func pool(kernelSize k: Int, stride s: Int, maximum: Bool) -> Tensor {
    precondition(rank == 4, "pooling needs [N, C, H, W], got \(shape)")
    if k == 2, s == 2, shape[2] % 2 == 0, shape[3] % 2 == 0 { return pool2x2(maximum: maximum) }
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1)
    precondition(oh > 0 && ow > 0, "pool window \(k) does not fit \(shape)")
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
              var best = -Float.infinity, at = 0
              for di in 0..<k {
                for dj in 0..<k {
                  let q = base + (i * s + di) * w + j * s + dj
                  if x[q] > best { best = x[q]; at = q }
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
            for p in range {
              for i in 0..<oh {
                let top = x.baseAddress! + (p * h + 2 * i) * w, bottom = top + w
                let o = out.baseAddress! + (p * oh + i) * ow
                if maximum {
                  for j in 0..<ow {
                    let candidates = (top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1])
                    var best = candidates.0, at: UInt8 = 0
                    if candidates.1 > best { best = candidates.1; at = 1 }
                    if candidates.2 > best { best = candidates.2; at = 2 }
                    if candidates.3 > best { best = candidates.3; at = 3 }
                    o[j] = best
                    win[(p * oh + i) * ow + j] = at
                  }
                } else {
                  for j in 0..<ow { o[j] = 0.25 * (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]) }
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
            for p in range {
              for i in 0..<oh {
                let top = dx.baseAddress! + (p * h + 2 * i) * w, bottom = top + w
                let gi = g.baseAddress! + (p * oh + i) * ow
                for j in 0..<ow {
                  if maximum {
                    let at = winners[(p * oh + i) * ow + j]
                    top[2 * j] = at == 0 ? gi[j] : 0
                    top[2 * j + 1] = at == 1 ? gi[j] : 0
                    bottom[2 * j] = at == 2 ? gi[j] : 0
                    bottom[2 * j + 1] = at == 3 ? gi[j] : 0
                  } else {
                    let share = 0.25 * gi[j]
                    top[2 * j] = share
                    top[2 * j + 1] = share
                    bottom[2 * j] = share
                    bottom[2 * j + 1] = share
                  }
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

  /// Zeroes each element with probability `p` and scales the rest by 1/(1−p) (inverted dropout).
  public func dropout(_ p: Float) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    if p == 0 { return self }
    if p == 1 { return self * 0 }
    let keep = 1 / (1 - p)
    let mask = (0..<count).map { _ in Random.generator.nextFloat() >= p ? keep : 0 }
    return self * Tensor(shape: shape, scalars: mask)
  }
}

/// Sizes of a convolution and the im2col / col2im index maps.
struct ConvGeometry {
  let batch, channels, height, width, kh, kw, stride, padding, outHeight, outWidth: Int
  var patch: Int { channels * kh * kw }
  var positions: Int { batch * outHeight * outWidth }

  init(input: [Int], kernel: (Int, Int), stride: Int, padding: Int) {
    (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
    (kh, kw) = kernel
    self.stride = stride
    self.padding = padding
    outHeight = (height + 2 * padding - kh) / stride + 1
    outWidth = (width + 2 * padding - kw) / stride + 1
  }

  /// The column matrix `[C·kh·kw, N·outH·outW]`: row (c, ky, kx) holds, for every output position, the
  /// input value under that kernel tap (0 in the padding). With stride 1 each (row, image, output row) is
  /// a contiguous copy with zeroed ends; rows are filled in parallel.
  func im2col(_ x: [Float]) -> [Float] {
    [Float](unsafeUninitializedCapacity: patch * positions) { cols, count in
      x.withUnsafeBufferPointer { x in
        // Local pointers, not loads through the closure's context, so the copies vectorise.
        let (input, base) = (x.baseAddress!, cols.baseAddress!)
        Parallel.chunks(patch, work: patch * positions) { rows in
          for row in rows {
            let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
            let (lo, hi) = validColumns(kx)
            for n in 0..<batch {
              for oy in 0..<outHeight {
                let out = base + row * positions + (n * outHeight + oy) * outWidth
                let iy = oy * stride + ky - padding
                guard iy >= 0 && iy < height, lo < hi else {
                  for ox in 0..<outWidth { out[ox] = 0 }
                  continue
                }
                let source = input + ((n * channels + c) * height + iy) * width + kx - padding
                for ox in 0..<lo { out[ox] = 0 }
                if stride == 1 {
                  for ox in lo..<hi { out[ox] = source[ox] }
                } else {
                  for ox in lo..<hi { out[ox] = source[ox * stride] }
                }
                for ox in hi..<outWidth { out[ox] = 0 }
              }
            }
          }
        }
      }
      count = patch * positions
    }
  }

  /// The adjoint of im2col: adds each column entry back into the input position it came from.
  /// Images are independent, so they are summed in parallel.
  func col2im(_ cols: [Float]) -> [Float] {
    var x = [Float](repeating: 0, count: batch * channels * height * width)
    x.withUnsafeMutableBufferPointer { x in
      cols.withUnsafeBufferPointer { cols in
        let (output, base) = (x.baseAddress!, cols.baseAddress!)
        Parallel.chunks(batch, work: patch * positions) { images in
          for n in images {
            for row in 0..<patch {
              let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
              let (lo, hi) = validColumns(kx)
              guard lo < hi else { continue }
              for oy in 0..<outHeight {
                let iy = oy * stride + ky - padding
                guard iy >= 0 && iy < height else { continue }
                let input = base + row * positions + (n * outHeight + oy) * outWidth
                let target = output + ((n * channels + c) * height + iy) * width + kx - padding
                if stride == 1 {
                  for ox in lo..<hi { target[ox] += input[ox] }
                } else {
                  for ox in lo..<hi { target[ox * stride] += input[ox] }
                }
              }
            }
          }
        }
      }
    }
    return x
  }

  /// The output columns whose input column `ox·stride + kx − padding` is inside the image.
  @inline(__always)
  private func validColumns(_ kx: Int) -> (Int, Int) {
    let offset = kx - padding
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let hi = Swift.min(outWidth, offset >= width ? 0 : (width - 1 - offset) / stride + 1)
    return (Swift.min(lo, outWidth), Swift.max(hi, 0))
  }

  /// `[O, N·HW]` → `[N, O, HW]` (contiguous blocks of HW).
  func channelMajorToBatchMajor(_ rows: [Float], channels o: Int) -> [Float] {
    let hw = outHeight * outWidth
    return [Float](unsafeUninitializedCapacity: rows.count) { out, count in
      rows.withUnsafeBufferPointer { r in
        for n in 0..<batch {
          for c in 0..<o {
            (out.baseAddress! + (n * o + c) * hw).update(from: r.baseAddress! + c * positions + n * hw, count: hw)
          }
        }
      }
      count = rows.count
    }
  }

  /// `[N, O, HW]` → `[O, N·HW]`.
  func batchMajorToChannelMajor(_ x: [Float], channels o: Int) -> [Float] {
    let hw = outHeight * outWidth
    return [Float](unsafeUninitializedCapacity: x.count) { out, count in
      x.withUnsafeBufferPointer { x in
        for n in 0..<batch {
          for c in 0..<o {
            (out.baseAddress! + c * positions + n * hw).update(from: x.baseAddress! + (n * o + c) * hw, count: hw)
          }
        }
      }
      count = x.count
    }
  }
}
