@_implementationOnly import Foundation

extension Tensor {
  /// 2-D convolution of `[N, C, H, W]` with `weight` `[O, C, kh, kw]` (and `bias` `[O]`).
  ///
  /// The batch is cut into chunks of a few images, small enough that a chunk's working set stays in the
  /// core's cache, and each core takes its share of the chunks (a whole batch's column matrix, 10 MB for
  /// LeNet's first layer at batch 128, would go out to memory and back for every product). With stride 1,
  /// `ConvKernels` compute from the padded images directly (see `ConvGeometry`); other strides use
  /// im2col + sgemm.
  public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    convolution(weight: weight, bias: bias, stride: stride, padding: padding, activation: nil, pooled: false)
  }

  /// `conv2d` followed by `activation` and, if `pooled`, 2×2 average pooling with stride 2, as one
  /// operation (see `FusedActivation`): each chunk of the output gets the activation and the pooling
  /// while still in cache, and their gradients are taken while the chunk's output gradient is gathered.
  /// Pooling needs an even output height and width.
  func convolution(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, activation: FusedActivation?, pooled: Bool) -> Tensor {
    precondition(rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
      "conv2d needs input [N, C, H, W] and weight [O, C, kh, kw] with the same C; got \(shape) and \(weight.shape)")
    let g = ConvGeometry(
      input: shape, kernel: (weight.shape[2], weight.shape[3]), outputs: weight.shape[0], stride: stride, padding: padding,
      activation: activation, pooled: pooled)
    precondition(g.outHeight > 0 && g.outWidth > 0, "conv2d: kernel \(weight.shape) does not fit input \(shape) with padding \(padding)")
    if let bias { precondition(bias.shape == [g.outputs], "conv2d bias must be [\(g.outputs)], got \(bias.shape)") }
    let biasScalars = bias?.scalars ?? [Float](repeating: 0, count: g.outputs)
    precondition(!pooled || (g.outHeight % 2 == 0 && g.outWidth % 2 == 0), "internal: pooling an odd-sized convolution")
    // The convolution's (activated) output; with pooling it is kept for the backward pass only.
    // (Every element is written by `forward`.)
    var pooledOut = [Float](unsafeUninitializedCapacity: pooled ? g.batch * g.outputs * g.outHeight * g.outWidth / 4 : 0) { $1 = $0.count }
    let out = [Float](unsafeUninitializedCapacity: g.batch * g.outputs * g.outHeight * g.outWidth) { out, count in
      scalars.withUnsafeBufferPointer { x in
        g.prepared(weight.scalars) { weights in
          biasScalars.withUnsafeBufferPointer { b in
            pooledOut.withUnsafeMutableBufferPointer { p in
              g.forward(input: x.baseAddress!, weights: weights, bias: b.baseAddress!, output: out.baseAddress!, pooled: pooled ? p.baseAddress : nil)
            }
          }
        }
      }
      count = out.count
    }
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    let shape = pooled ? [g.batch, g.outputs, g.outHeight / 2, g.outWidth / 2] : [g.batch, g.outputs, g.outHeight, g.outWidth]
    return Tensor.result(shape: shape, scalars: pooled ? pooledOut : out, inputs: inputs) { grad in
      let (wantInput, wantWeight, wantBias) = (self.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
      var dx = wantInput ? [Float](repeating: 0, count: self.count) : []
      var weightPartials = [Float](repeating: 0, count: wantWeight ? Parallel.cores * g.weightGradientSize : 0)
      var biasPartials = [Float](repeating: 0, count: wantBias ? Parallel.cores * g.outputs : 0)
      grad.scalars.withUnsafeBufferPointer { gradient in
        out.withUnsafeBufferPointer { y in
          self.scalars.withUnsafeBufferPointer { x in
            g.prepared(weight.scalars) { weights in
              dx.withUnsafeMutableBufferPointer { dx in
                weightPartials.withUnsafeMutableBufferPointer { dw in
                  biasPartials.withUnsafeMutableBufferPointer { db in
                    g.backward(
                      outGrad: gradient.baseAddress!, output: y.baseAddress!, input: x.baseAddress!, weights: weights,
                      // (An empty array's buffer may still have an address.)
                      weightPartials: wantWeight ? dw.baseAddress : nil, biasPartials: wantBias ? db.baseAddress : nil,
                      inputGrad: wantInput ? dx.baseAddress : nil)
                  }
                }
              }
            }
          }
        }
      }
      var grads: [Tensor?] = [
        wantInput ? Tensor(shape: self.shape, scalars: dx) : nil,
        wantWeight ? Tensor(shape: weight.shape, scalars: g.weightGradient(weightPartials)) : nil,
      ]
      if bias != nil {
        grads.append(wantBias ? Tensor(shape: [g.outputs], scalars: (0..<g.outputs).map { c in
          (0..<Parallel.cores).reduce(Float(0)) { $0 + biasPartials[$1 * g.outputs + c] }
        }) : nil)
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
            guard maximum else {
              let first = range.lowerBound
              return AveragePool2x2.average(x.baseAddress! + first * h * w, planes: range.count, height: h, width: w, into: out.baseAddress! + first * oh * ow)
            }
            for p in range {
              for i in 0..<oh {
                let top = x.baseAddress! + (p * h + 2 * i) * w, bottom = top + w
                let o = out.baseAddress! + (p * oh + i) * ow
                for j in 0..<ow {
                  let candidates = (top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1])
                  var best = candidates.0, at: UInt8 = 0
                  if candidates.1 > best { best = candidates.1; at = 1 }
                  if candidates.2 > best { best = candidates.2; at = 2 }
                  if candidates.3 > best { best = candidates.3; at = 3 }
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
              return AveragePool2x2.spread(g.baseAddress! + first * oh * ow, planes: range.count, height: h, width: w, into: dx.baseAddress! + first * h * w)
            }
            for p in range {
              for i in 0..<oh {
                let top = dx.baseAddress! + (p * h + 2 * i) * w, bottom = top + w
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

/// 2×2 average pooling with stride 2 (LeNet's), for `avgPool2d` and for the convolution it is fused into.
enum AveragePool2x2 {
  /// 2×2 average pooling with stride 2 of `planes` planes (`height` and `width` even), as `avgPool2d` does.
  static func average(_ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height / 2, width / 2)
    for p in 0..<planes {
      for i in 0..<oh {
        let top = x + (p * height + 2 * i) * width, bottom = top + width
        let o = out + (p * oh + i) * ow
        for j in 0..<ow { o[j] = 0.25 * (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]) }
      }
    }
  }

  /// The gradient of `average`: a quarter of each pooled gradient to each position of its window.
  static func spread(_ g: UnsafePointer<Float>, planes: Int, height: Int, width: Int, into dx: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height / 2, width / 2)
    for p in 0..<planes {
      for i in 0..<oh {
        let top = dx + (p * height + 2 * i) * width
        let gi = g + (p * oh + i) * ow
        for x in 0..<width { top[x] = 0.25 * gi[x / 2] }
        ConvKernels.copy(from: top, to: top + width, count: width)
      }
    }
  }
}

/// Sizes of a convolution, its scratch space and its two ways of computing.
///
/// Stride 1 (`runs`): each image is copied into a zero-padded grid (`paddedWidth` apart, a little slack
/// after it), output position p = y·paddedWidth + x, and kernel tap (c, ky, kx) reads the grid at
/// c·plane + ky·paddedWidth + kx + p, so row (c, ky, kx) of the column matrix is one contiguous run of
/// the grid. The few positions per row past `outWidth` are computed and dropped. `ConvKernels` (`direct`)
/// compute the output and the weight gradient over these grids without a column matrix, and the input
/// gradient's columns `Wᵀ · dOut`, which col2im adds back along the same runs. With `BLAS.ownKernels` off,
/// im2col copies the runs and sgemm does the products.
///
/// Other strides: the column matrix `[C·kh·kw, n·outH·outW]` (row (c, ky, kx) holds the input under that
/// tap for every output position, 0 in the padding) and sgemm.
struct ConvGeometry {
  let batch, channels, height, width, kh, kw, outputs, stride, padding, outHeight, outWidth: Int
  let activation: FusedActivation?
  /// Whether 2×2 average pooling (stride 2) follows the activation.
  let pooled: Bool
  var patch: Int { channels * kh * kw }
  /// Whether positions are laid out on the padded grid (stride 1), and whether `ConvKernels` compute on
  /// it (unless `BLAS.ownKernels` is off: then im2col copies long runs of the grid, and sgemm).
  let runs, direct: Bool
  var paddedHeight: Int { height + 2 * padding }
  var paddedWidth: Int { width + 2 * padding }
  var plane: Int { paddedHeight * paddedWidth }
  /// Columns per image: the padded grid's rows of outputs (rounded up to a kernel block), or the dense
  /// `outH × outW`.
  var span: Int {
    runs ? (outHeight * paddedWidth + ConvKernels.block - 1) / ConvKernels.block * ConvKernels.block : outHeight * outWidth
  }
  /// Distance between output rows within an image's columns.
  var rowPitch: Int { runs ? paddedWidth : outWidth }
  /// The stretch of an image's columns that holds output positions.
  var run: Int { (outHeight - 1) * rowPitch + outWidth }
  /// Floats per padded image: its planes, then zeros for the kernels' reads past the last output.
  var paddedImage: Int { channels * plane + kw + 2 * ConvKernels.block }
  /// Outputs and taps rounded up to the kernels' blocks (the extra weights are zero, the extra taps unused).
  var groupedOutputs: Int { (outputs + ConvKernels.group - 1) / ConvKernels.group * ConvKernels.group }
  /// (The taps of the weight gradient, and the rows of the input gradient's columns.)
  var groupedPatch: Int { (patch + ConvKernels.group - 1) / ConvKernels.group * ConvKernels.group }
  /// Size of one core's partial weight gradient.
  var weightGradientSize: Int { direct ? groupedOutputs * groupedPatch : outputs * patch }

  init(
    input: [Int], kernel: (Int, Int), outputs: Int, stride: Int, padding: Int, activation: FusedActivation? = nil, pooled: Bool = false
  ) {
    (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
    self.activation = activation
    self.pooled = pooled
    runs = stride == 1
    direct = runs && BLAS.ownKernels
    (kh, kw) = kernel
    self.outputs = outputs
    self.stride = stride
    self.padding = padding
    outHeight = (height + 2 * padding - kh) / stride + 1
    outWidth = (width + 2 * padding - kw) / stride + 1
  }

  /// Weights as the computation reads them: `[O, C·kh·kw]`, with zero rows up to `groupedOutputs` (direct).
  func prepared<R>(_ weight: [Float], _ body: (UnsafePointer<Float>) -> R) -> R {
    guard direct, groupedOutputs != outputs else { return weight.withUnsafeBufferPointer { body($0.baseAddress!) } }
    let grouped = weight + [Float](repeating: 0, count: (groupedOutputs - outputs) * patch)
    return grouped.withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  /// The weight gradient `[O, C, kh, kw]` from the cores' partial sums.
  func weightGradient(_ partials: [Float]) -> [Float] {
    let (rows, columns) = direct ? (groupedOutputs, groupedPatch) : (outputs, patch)
    return (0..<(outputs * patch)).map { i in
      let at = i / patch * columns + i % patch
      return (0..<Parallel.cores).reduce(Float(0)) { $0 + partials[$1 * rows * columns + at] }
    }
  }

  /// Where tap t = (c, ky, kx) starts in a padded image (direct); `groupedPatch` entries, the extra ones 0.
  var tapOffsets: [Int] {
    (0..<groupedPatch).map { t in t < patch ? t / (kh * kw) * plane + t / kw % kh * paddedWidth + t % kw : 0 }
  }

  /// Per-core scratch space for one chunk of images.
  struct Scratch {
    /// Column matrices (`[C·kh·kw, n·span]`), products (`[O, n·span]`), padded images, one padded gradient,
    /// the output gradient before the activation (`[n, O, outH, outW]`).
    let cols, rows, padded, paddedGrad, activated: UnsafeMutablePointer<Float>
    /// The weight gradient's vector sums (direct).
    let sums: UnsafeMutablePointer<ConvKernels.Vector>
  }

  /// Images per chunk: as many as keep a chunk's column matrix near 512 KB (a quarter of the L2 cache
  /// a core has here), at least one.
  var imagesPerChunk: Int { Swift.max(1, (128 << 10) / Swift.max(1, patch * span)) }

  /// Calls `body(part, images, scratch)` for consecutive chunks of the batch. Each core takes one part (a
  /// contiguous share of the images, processed in order) with its own scratch; `part` indexes the
  /// caller's per-core partial sums. The products inside run on one thread each. `finish(part, scratch)`
  /// runs after a part's last chunk.
  /// `columns`: whether the chunks need column matrices (im2col, or the input gradient's product).
  func forEachChunk(columns: Bool, _ body: (Int, Range<Int>, Scratch) -> Void, finish: (Int, Scratch) -> Void = { _, _ in }) {
    let chunk = imagesPerChunk
    let work = batch * patch * span * Swift.max(1, outputs)
    let parts = work >= Parallel.minimumWork ? Swift.min(Parallel.cores, batch) : 1
    BLAS.prepareSerialGemm()
    Parallel.parts(parts) { part in
      let lower = batch * part / parts, upper = batch * (part + 1) / parts
      guard lower < upper else { return }
      let images = Swift.min(chunk, upper - lower)
      // Cache-line aligned, so the kernels' loads of whole rows do not straddle lines.
      var buffers: [UnsafeMutableRawPointer] = []
      // Only what is read before it is written starts at zero.
      func buffer(_ count: Int, zeroed: Bool = false) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * 4, alignment: 64)
        buffers.append(pointer)
        return zeroed
          ? pointer.initializeMemory(as: Float.self, repeating: 0, count: Swift.max(1, count))
          : pointer.bindMemory(to: Float.self, capacity: Swift.max(1, count))
      }
      // Zeroed once: the padding of the padded images stays zero, only their interiors are rewritten.
      let scratch = Scratch(
        cols: buffer(columns ? (direct ? groupedPatch : patch) * images * span : 0), rows: buffer(groupedOutputs * images * span),
        padded: buffer(runs ? images * paddedImage : 0, zeroed: true),
        paddedGrad: buffer(runs && padding > 0 && columns ? channels * plane : 0, zeroed: true),
        activated: buffer(activation != nil || pooled ? images * outputs * outHeight * outWidth : 0),
        sums: UnsafeMutableRawPointer(buffer(direct ? groupedOutputs * groupedPatch * ConvKernels.lanes : 0, zeroed: true))
          .assumingMemoryBound(to: ConvKernels.Vector.self))
      defer {
        for pointer in buffers { pointer.deallocate() }
      }
      for first in Swift.stride(from: lower, to: upper, by: chunk) {
        body(part, first..<Swift.min(first + chunk, upper), scratch)
      }
      finish(part, scratch)
    }
  }

  /// The batch's output `[N, O, outH, outW]` (bias included).
  func forward(
    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    pooled pooledOutput: UnsafeMutablePointer<Float>? = nil
  ) {
    let offsets = tapOffsets
    offsets.withUnsafeBufferPointer { offsets in
      forEachChunk(columns: !direct) { _, images, scratch in
        let columns = images.count * span
        if direct {
          pad(images, from: input, into: scratch.padded)
          for j in 0..<images.count {
            ConvKernels.correlate(
              source: scratch.padded + j * paddedImage, offsets: offsets.baseAddress!, taps: patch, weights: weights,
              outputs: groupedOutputs, positions: span, out: scratch.rows + j * span, outPitch: columns)
          }
        } else {
          im2col(images, from: input, into: scratch)
          // [O, CKK] · [CKK, n·span] → [O, n·span]
          BLAS.serialGemm(
            transposeA: false, transposeB: false, m: outputs, n: columns, k: patch, a: weights, lda: patch, b: scratch.cols,
            ldb: columns, beta: 0, c: scratch.rows, ldc: columns)
        }
        for (j, n) in images.enumerated() {
          for c in 0..<outputs {
            let shift = bias[c]
            for y in 0..<outHeight {
              let source = scratch.rows + c * columns + j * span + y * rowPitch
              let target = output + ((n * outputs + c) * outHeight + y) * outWidth
              ConvKernels.copy(from: source, to: target, count: outWidth, adding: shift)
            }
          }
        }
        // The chunk's images are one contiguous stretch of the output.
        activation?.apply(output + images.lowerBound * outputs * outHeight * outWidth, count: images.count * outputs * outHeight * outWidth)
        if let pooledOutput {
          let planes = images.count * outputs, first = images.lowerBound * outputs
          AveragePool2x2.average(output + first * outHeight * outWidth, planes: planes, height: outHeight, width: outWidth, into: pooledOutput + first * outHeight * outWidth / 4)
        }
      }
    }
  }

  /// The gradients of the input (into `inputGrad`, zeroed by the caller) and of the weights (each core's
  /// partial sum into its slice of `weightPartials`, `weightGradientSize` apart), either may be nil.
  func backward(
    outGrad: UnsafePointer<Float>, output: UnsafePointer<Float>, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
    weightPartials: UnsafeMutablePointer<Float>?, biasPartials: UnsafeMutablePointer<Float>?, inputGrad: UnsafeMutablePointer<Float>?
  ) {
    guard weightPartials != nil || biasPartials != nil || inputGrad != nil else { return }
    let hw = outHeight * outWidth
    // Wᵀ, `[CKK, O]` with zero rows up to `groupedPatch`, for the input gradient (direct).
    var transposedWeights = [Float](repeating: 0, count: direct && inputGrad != nil ? groupedPatch * outputs : 0)
    for t in 0..<(transposedWeights.isEmpty ? 0 : patch) {
      for o in 0..<outputs { transposedWeights[t * outputs + o] = weights[o * patch + t] }
    }
    let offsets = tapOffsets
    offsets.withUnsafeBufferPointer { offsets in
      forEachChunk(columns: !direct || inputGrad != nil, { part, images, scratch in
        let columns = images.count * span
        // The chunk's output gradient (before the activation, if any) in the column layout, [O, n·span],
        // zero at the dropped positions.
        let first = images.lowerBound * outputs * hw
        var chunkGrad = outGrad + first
        if pooled {
          // Each pooled gradient, a quarter to each of its window's four positions.
          AveragePool2x2.spread(outGrad + first / 4, planes: images.count * outputs, height: outHeight, width: outWidth, into: scratch.activated)
          chunkGrad = UnsafePointer(scratch.activated)
        }
        if let activation {
          if pooled {
            activation.gradient(inPlace: scratch.activated, output: output + first, count: images.count * outputs * hw)
          } else {
            activation.gradient(chunkGrad, output: output + first, into: scratch.activated, count: images.count * outputs * hw)
          }
          chunkGrad = UnsafePointer(scratch.activated)
        }
        if runs { scratch.rows.update(repeating: 0, count: groupedOutputs * columns) }
        for j in 0..<images.count {
          for c in 0..<outputs {
            for y in 0..<outHeight {
              let target = scratch.rows + c * columns + j * span + y * rowPitch
              ConvKernels.copy(from: chunkGrad + ((j * outputs + c) * outHeight + y) * outWidth, to: target, count: outWidth)
            }
          }
        }
        if let biasPartials {
          for c in 0..<outputs { biasPartials[part * outputs + c] += Kernels.sum(UnsafeBufferPointer(start: scratch.rows + c * columns, count: columns)) }
        }
        if let weightPartials {
          let partial = weightPartials + part * weightGradientSize
          if direct {
            pad(images, from: input, into: scratch.padded)
            for j in 0..<images.count {
              ConvKernels.accumulateWeightGradient(
                source: scratch.padded + j * paddedImage, offsets: offsets.baseAddress!, taps: groupedPatch,
                outGrad: scratch.rows + j * span, gradPitch: columns, outputs: groupedOutputs, positions: span, sums: scratch.sums)
            }
          } else {
            im2col(images, from: input, into: scratch)
            // [O, n·span] · [n·span, CKK]
            BLAS.serialGemm(
              transposeA: false, transposeB: true, m: outputs, n: patch, k: columns, a: scratch.rows, lda: columns,
              b: scratch.cols, ldb: columns, beta: 1, c: partial, ldc: patch)
          }
        }
        if let inputGrad {
          // [CKK, O] · [O, n·span]
          if direct {
            // A product with only O (16 in LeNet) terms per entry: `correlate` with the output channels as
            // its taps does it without OpenBLAS's packing and zeroing (columns of Wᵀ as weights).
            let channelOffsets = (0..<outputs).map { $0 * columns }
            ConvKernels.correlate(
              source: scratch.rows, offsets: channelOffsets, taps: outputs, weights: transposedWeights, outputs: groupedPatch,
              positions: columns, out: scratch.cols, outPitch: columns)
          } else {
            BLAS.serialGemm(
              transposeA: true, transposeB: false, m: patch, n: columns, k: outputs, a: weights, lda: patch,
              b: scratch.rows, ldb: columns, beta: 0, c: scratch.cols, ldc: columns)
          }
          col2im(images, from: scratch, into: inputGrad)
        }
      }, finish: { part, scratch in
        // The direct weight gradient's vector sums, summed across lanes once per part.
        if direct, let weightPartials {
          ConvKernels.reduce(scratch.sums, count: groupedOutputs * groupedPatch, into: weightPartials + part * weightGradientSize)
        }
      })
    }
  }

  /// Copies the interiors of `images` into their padded grids (stride 1).
  private func pad(_ images: Range<Int>, from input: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
    for (j, n) in images.enumerated() {
      for c in 0..<channels {
        for y in 0..<height {
          (padded + j * paddedImage + c * plane + (y + padding) * paddedWidth + padding)
            .update(from: input + ((n * channels + c) * height + y) * width, count: width)
        }
      }
    }
  }

  /// The column matrix of `images` into `scratch.cols`. On the padded grid, row (c, ky, kx) of an image is
  /// one run of its padded plane c starting at (ky, kx).
  private func im2col(_ images: Range<Int>, from input: UnsafePointer<Float>, into scratch: Scratch) {
    guard runs else { return im2colStrided(images, from: input, into: scratch.cols) }
    let columns = images.count * span
    pad(images, from: input, into: scratch.padded)
    for j in 0..<images.count {
      for row in 0..<patch {
        let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
        let target = scratch.cols + row * columns + j * span
        target.update(from: scratch.padded + j * paddedImage + c * plane + ky * paddedWidth + kx, count: run)
        (target + run).update(repeating: 0, count: span - run)
      }
    }
  }

  /// The column matrix for other strides: one short copy per (row, image, output row), zeroed at the
  /// edges.
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

  /// The adjoint of the column matrix for `images`: adds each entry of `scratch.cols` back into the input
  /// position it came from. `output` is the whole batch's `[N, C, H, W]` gradient, zero where these images
  /// are.
  private func col2im(_ images: Range<Int>, from scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    for (j, n) in images.enumerated() {
      let image = output + n * channels * height * width
      if runs {
        // Along the padded grid: each row of the columns is one run. Without padding the grid is the image.
        let target = padding == 0 ? image : scratch.paddedGrad
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
          target.update(repeating: 0, count: channels * plane)
        }
        continue
      }
      for row in 0..<patch {
        let c = row / (kh * kw), ky = row / kw % kh, kx = row % kw
        let (lo, hi) = validColumns(kx)
        guard lo < hi else { continue }
        for oy in 0..<outHeight {
          let iy = oy * stride + ky - padding
          guard iy >= 0 && iy < height else { continue }
          let source = scratch.cols + row * columns + j * span + oy * outWidth
          let target = image + (c * height + iy) * width + kx - padding
          for ox in lo..<hi { target[ox * stride] += source[ox] }
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
