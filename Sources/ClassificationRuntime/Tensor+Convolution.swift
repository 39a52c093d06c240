@_implementationOnly import Foundation

extension Tensor {
  /// 2-D convolution of `[N, C, H, W]` with `weight` `[O, C, kh, kw]` (and `bias` `[O]`): im2col + sgemm.
  ///
  /// The batch is cut into chunks of a few images, small enough that a chunk's column matrix stays in
  /// the core's cache; each core takes its share of chunks and, per chunk, builds the columns, multiplies
  /// them on one thread and writes the result in `[N, O, H, W]` order. A whole batch's column matrix
  /// (10 MB for LeNet's first layer at batch 128) would go out to memory and back for every product.
  /// The backward pass works the same way, rebuilding each chunk's columns rather than keeping them.
  public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
      "conv2d needs input [N, C, H, W] and weight [O, C, kh, kw] with the same C; got \(shape) and \(weight.shape)")
    let g = ConvGeometry(input: shape, kernel: (weight.shape[2], weight.shape[3]), stride: stride, padding: padding)
    let outChannels = weight.shape[0]
    precondition(g.outHeight > 0 && g.outWidth > 0, "conv2d: kernel \(weight.shape) does not fit input \(shape) with padding \(padding)")
    if let bias { precondition(bias.shape == [outChannels], "conv2d bias must be [\(outChannels)], got \(bias.shape)") }
    let (o, hw, patch, span) = (outChannels, g.outHeight * g.outWidth, g.patch, g.span)
    let biasScalars = bias?.scalars ?? [Float](repeating: 0, count: o)
    let out = [Float](unsafeUninitializedCapacity: g.batch * o * hw) { out, count in
      scalars.withUnsafeBufferPointer { x in
        weight.scalars.withUnsafeBufferPointer { w in
          biasScalars.withUnsafeBufferPointer { b in
            let (input, weights, output, biases) = (x.baseAddress!, w.baseAddress!, out.baseAddress!, b.baseAddress!)
            g.forEachChunk(outChannels: o) { _, images, scratch in
              let columns = images.count * span
              g.im2col(images, from: input, into: scratch)
              // [O, CKK] · [CKK, n·span] → [O, n·span]
              BLAS.serialGemm(
                transposeA: false, transposeB: false, m: o, n: columns, k: patch, a: weights, lda: patch, b: scratch.cols,
                ldb: columns, beta: 0, c: scratch.rows, ldc: columns)
              for (j, n) in images.enumerated() {
                for c in 0..<o {
                  let shift = biases[c]
                  for y in 0..<g.outHeight {
                    let source = scratch.rows + c * columns + j * span + y * g.rowPitch
                    let target = output + ((n * o + c) * g.outHeight + y) * g.outWidth
                    for x in 0..<g.outWidth { target[x] = source[x] + shift }
                  }
                }
              }
            }
          }
        }
      }
      count = g.batch * o * hw
    }
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    return Tensor.result(shape: [g.batch, o, g.outHeight, g.outWidth], scalars: out, inputs: inputs) { grad in
      let (wantInput, wantWeight, wantBias) = (self.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
      var dx = wantInput ? [Float](repeating: 0, count: self.count) : []
      var weightPartials = [Float](repeating: 0, count: Parallel.cores * o * patch)
      var biasPartials = [Float](repeating: 0, count: Parallel.cores * o)
      grad.scalars.withUnsafeBufferPointer { gradient in
        self.scalars.withUnsafeBufferPointer { x in
          weight.scalars.withUnsafeBufferPointer { w in
            dx.withUnsafeMutableBufferPointer { dx in
              weightPartials.withUnsafeMutableBufferPointer { dw in
                biasPartials.withUnsafeMutableBufferPointer { db in
                  let (dOut, input, weights) = (gradient.baseAddress!, x.baseAddress!, w.baseAddress!)
                  let (dInput, dWeights, dBiases) = (dx.baseAddress, dw.baseAddress!, db.baseAddress!)
                  g.forEachChunk(outChannels: o) { part, images, scratch in
                    let columns = images.count * span
                    // The chunk's output gradient in the column layout, [O, n·span], with zeros between rows.
                    for (j, n) in images.enumerated() {
                      for c in 0..<o {
                        let target = scratch.rows + c * columns + j * span
                        if g.rowPitch != g.outWidth { target.update(repeating: 0, count: span) }
                        for y in 0..<g.outHeight {
                          (target + y * g.rowPitch).update(from: dOut + ((n * o + c) * g.outHeight + y) * g.outWidth, count: g.outWidth)
                        }
                      }
                    }
                    if wantBias {
                      for c in 0..<o {
                        dBiases[part * o + c] += Kernels.sum(UnsafeBufferPointer(start: scratch.rows + c * columns, count: columns))
                      }
                    }
                    if wantWeight {
                      g.im2col(images, from: input, into: scratch)
                      // [O, n·span] · [n·span, CKK], added to this core's partial sum.
                      BLAS.serialGemm(
                        transposeA: false, transposeB: true, m: o, n: patch, k: columns, a: scratch.rows, lda: columns,
                        b: scratch.cols, ldb: columns, beta: 1, c: dWeights + part * o * patch, ldc: patch)
                    }
                    if wantInput, let dInput {
                      // [CKK, O] · [O, n·span]
                      BLAS.serialGemm(
                        transposeA: true, transposeB: false, m: patch, n: columns, k: o, a: weights, lda: patch,
                        b: scratch.rows, ldb: columns, beta: 0, c: scratch.cols, ldc: columns)
                      g.col2im(images, from: scratch, into: dInput)
                    }
                  }
                }
              }
            }
          }
        }
      }
      func total(_ partials: [Float], _ size: Int) -> [Float] {
        (0..<size).map { i in (0..<Parallel.cores).reduce(Float(0)) { $0 + partials[$1 * size + i] } }
      }
      var grads: [Tensor?] = [
        wantInput ? Tensor(shape: self.shape, scalars: dx) : nil,
        wantWeight ? Tensor(shape: weight.shape, scalars: total(weightPartials, o * patch)) : nil,
      ]
      if bias != nil { grads.append(wantBias ? Tensor(shape: [o], scalars: total(biasPartials, o)) : nil) }
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

/// Sizes of a convolution, and the column matrices its products use.
///
/// The column matrix of n images is `[C·kh·kw, n·span]`: row (c, ky, kx) holds, for every output
/// position, the input value under that kernel tap. With stride 1 the output positions are laid out on the
/// padded input's grid (`rowPitch` = padded width, a few unused columns at the end of each output row):
/// then row (c, ky, kx) of an image is one contiguous run of its padded plane c, starting at
/// (ky, kx), so building the columns is a copy of long runs and col2im an addition of long runs. The
/// unused columns get finite values in the forward product (dropped from the output) and a zero gradient,
/// so they add nothing to the weight gradient. Other strides use the dense `outH × outW` layout.
struct ConvGeometry {
  let batch, channels, height, width, kh, kw, stride, padding, outHeight, outWidth: Int
  var patch: Int { channels * kh * kw }
  var paddedHeight: Int { height + 2 * padding }
  var paddedWidth: Int { width + 2 * padding }
  /// Distance between consecutive output rows in the column layout.
  var rowPitch: Int { stride == 1 ? paddedWidth : outWidth }
  /// Columns per image.
  var span: Int { outHeight * rowPitch }
  /// The stretch of a row run that holds output positions (the last output row ends at `outWidth`).
  var run: Int { (outHeight - 1) * rowPitch + outWidth }

  init(input: [Int], kernel: (Int, Int), stride: Int, padding: Int) {
    (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
    (kh, kw) = kernel
    self.stride = stride
    self.padding = padding
    outHeight = (height + 2 * padding - kh) / stride + 1
    outWidth = (width + 2 * padding - kw) / stride + 1
  }

  /// Per-core scratch space for one chunk of images: the column matrix, the `[O, n·span]` product, and
  /// one padded image (stride 1 with padding).
  struct Scratch {
    let cols, rows, padded: UnsafeMutablePointer<Float>
  }

  /// Images per chunk: as many as keep a chunk's column matrix near 512 KB (a quarter of the L2 cache
  /// a core has here), at least one.
  var imagesPerChunk: Int { Swift.max(1, (128 << 10) / Swift.max(1, patch * span)) }

  /// Calls `body(part, images, scratch)` for consecutive chunks of the batch. Each core takes one part (a
  /// contiguous share of the images, processed in order) with its own scratch; `part` indexes the
  /// caller's per-core partial sums. The products inside run on one thread each.
  func forEachChunk(outChannels: Int, _ body: (Int, Range<Int>, Scratch) -> Void) {
    let chunk = imagesPerChunk
    let work = batch * patch * span * Swift.max(1, outChannels)
    let parts = work >= Parallel.minimumWork ? Swift.min(Parallel.cores, batch) : 1
    BLAS.prepareSerialGemm()
    Parallel.parts(parts) { part in
      let lower = batch * part / parts, upper = batch * (part + 1) / parts
      guard lower < upper else { return }
      let images = Swift.min(chunk, upper - lower)
      let cols = UnsafeMutablePointer<Float>.allocate(capacity: patch * images * span)
      let rows = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(1, outChannels) * images * span)
      let padded = UnsafeMutablePointer<Float>.allocate(capacity: channels * paddedHeight * paddedWidth)
      padded.initialize(repeating: 0, count: channels * paddedHeight * paddedWidth)
      defer {
        cols.deallocate()
        rows.deallocate()
        padded.deallocate()
      }
      for first in Swift.stride(from: lower, to: upper, by: chunk) {
        body(part, first..<Swift.min(first + chunk, upper), Scratch(cols: cols, rows: rows, padded: padded))
      }
    }
  }

  /// The column matrix of `images` into `scratch.cols`.
  func im2col(_ images: Range<Int>, from input: UnsafePointer<Float>, into scratch: Scratch) {
    let columns = images.count * span
    guard stride == 1 else { return im2colStrided(images, from: input, into: scratch.cols) }
    let plane = paddedHeight * paddedWidth
    for (j, n) in images.enumerated() {
      let image = input + n * channels * height * width
      let source: UnsafePointer<Float>
      if padding == 0 {
        source = image
      } else {
        // The padding stays zero from the allocation; only the interior changes.
        for c in 0..<channels {
          for y in 0..<height {
            (scratch.padded + c * plane + (y + padding) * paddedWidth + padding).update(from: image + (c * height + y) * width, count: width)
          }
        }
        source = UnsafePointer(scratch.padded)
      }
      for row in 0..<patch {
        let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
        let target = scratch.cols + row * columns + j * span
        target.update(from: source + c * plane + ky * paddedWidth + kx, count: run)
        (target + run).update(repeating: 0, count: span - run)
      }
    }
  }

  /// The adjoint of im2col for `images`: adds each entry of `scratch.cols` back into the input position it
  /// came from. `output` is the whole batch's `[N, C, H, W]` gradient, zero where these images are.
  func col2im(_ images: Range<Int>, from scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    guard stride == 1 else { return col2imStrided(images, from: scratch.cols, into: output) }
    let plane = paddedHeight * paddedWidth
    for (j, n) in images.enumerated() {
      let image = output + n * channels * height * width
      // Without padding the padded grid is the image itself.
      let target = padding == 0 ? image : scratch.padded
      if padding > 0 { target.update(repeating: 0, count: channels * plane) }
      for row in 0..<patch {
        let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
        let (source, destination) = (scratch.cols + row * columns + j * span, target + c * plane + ky * paddedWidth + kx)
        for i in 0..<run { destination[i] += source[i] }
      }
      if padding > 0 {
        for c in 0..<channels {
          for y in 0..<height {
            (image + (c * height + y) * width).update(from: target + c * plane + (y + padding) * paddedWidth + padding, count: width)
          }
        }
        // The padded scratch is shared with im2col, which expects zero padding.
        target.update(repeating: 0, count: channels * plane)
      }
    }
  }

  /// im2col for strides other than 1: one short copy per (row, image, output row), zeroed at the edges.
  private func im2colStrided(_ images: Range<Int>, from input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    for row in 0..<patch {
      let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
      let (lo, hi) = validColumns(kx)
      for (j, n) in images.enumerated() {
        for oy in 0..<outHeight {
          let out = cols + row * columns + j * span + oy * outWidth
          let iy = oy * stride + ky - padding
          guard iy >= 0 && iy < height, lo < hi else {
            for ox in 0..<outWidth { out[ox] = 0 }
            continue
          }
          let source = input + ((n * channels + c) * height + iy) * width + kx - padding
          for ox in 0..<lo { out[ox] = 0 }
          for ox in lo..<hi { out[ox] = source[ox * stride] }
          for ox in hi..<outWidth { out[ox] = 0 }
        }
      }
    }
  }

  /// col2im for strides other than 1.
  private func col2imStrided(_ images: Range<Int>, from cols: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    for row in 0..<patch {
      let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
      let (lo, hi) = validColumns(kx)
      guard lo < hi else { continue }
      for (j, n) in images.enumerated() {
        for oy in 0..<outHeight {
          let iy = oy * stride + ky - padding
          guard iy >= 0 && iy < height else { continue }
          let input = cols + row * columns + j * span + oy * outWidth
          let target = output + ((n * channels + c) * height + iy) * width + kx - padding
          for ox in lo..<hi { target[ox * stride] += input[ox] }
        }
      }
    }
  }

  /// The output columns whose input column `ox·stride + kx − padding` is inside the image.
  @inline(__always)
  private func validColumns(_ kx: Int) -> (Int, Int) {
    let offset = kx - padding
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let hi = Swift.min(outWidth, offset >= width ? 0 : (width - 1 - offset) / stride + 1)
    return (Swift.min(lo, outWidth), Swift.max(hi, 0))
  }
}
