extension ConvGeometry {
  /// Whether the input gradient is the convolution of the output gradient with the flipped, transposed
  /// weights (stride 1 with "same" padding on sgemm's path: ResNet's, GoogLeNet's, DenseNet's, VGG's 3×3 and
  /// 5×5, and every 1×1 without padding): im2col of the output gradient, one product with O·kh·kw terms per
  /// entry, and the result written over the input gradient. The other way, the product `Wᵀ · dOut` has only
  /// O terms per entry (64 in ResNet's first stage: sgemm runs below its rate) and a column matrix kh·kw times
  /// the input's size that col2im adds back into a zeroed gradient. Not for few channels (GoogLeNet's 5×5
  /// branches, 16 to 48): a product of so few rows spends its time packing the long column matrix.
  /// (Winograd's input gradient writes every element too.)
  var transposedInputGradient: Bool {
    winograd || (samePlane && (kh * kw == 1 || channels >= 64) && !Earlier.uses("col2im"))
  }

  /// The gradients of the input (into `inputGrad`: zeroed by the caller unless `transposedInputGradient`,
  /// where every element is written) and of the weights (each core's partial sum into its slice of
  /// `weightPartials`, `weightGradientSize` apart), either may be nil.
  /// A ReLU's output may come as its `positiveBits` (`outputBits`) instead of `output`.
  func backward(
    outGrad: UnsafePointer<Float>, output: UnsafePointer<Float>, outputBits: UnsafePointer<UInt8>? = nil,
    input: UnsafePointer<Float>,
    weights: UnsafePointer<Float>,
    weightPartials: UnsafeMutablePointer<Float>?, biasPartials: UnsafeMutablePointer<Float>?,
    inputGrad: UnsafeMutablePointer<Float>?
  ) {
    guard weightPartials != nil || biasPartials != nil || inputGrad != nil else { return }
    let hw = outHeight * outWidth
    // Wᵀ, `[CKK, O]` with zero rows up to `groupedPatch`, for the input gradient (direct).
    var transposedWeights = [Float](repeating: 0, count: direct && inputGrad != nil ? groupedPatch * outputs : 0)
    for t in 0..<(transposedWeights.isEmpty ? 0 : patch) {
      for o in 0..<outputs { transposedWeights[t * outputs + o] = weights[o * patch + t] }
    }
    // The transposed way: the flipped weights `[C, O·kh·kw]`, W'[c, (o, a, b)] = W[o, c, kh−1−a, kw−1−b], and
    // the geometry whose im2col reads the output gradient (O channels) as this one's reads the input.
    let transposed = transposedInputGradient && inputGrad != nil && !winograd
    // Winograd's way: both gradients (see `WinogradGradients`).
    let winogradGradients =
      winograd
      ? WinogradGradients(
        self, weights: weights, wantInput: inputGrad != nil, wantWeight: weightPartials != nil) : nil
    let taps = kh * kw
    var flipped = [Float](repeating: 0, count: transposed && taps > 1 ? channels * outputs * taps : 0)
    if !flipped.isEmpty {
      for o in 0..<outputs {
        for c in 0..<channels {
          for t in 0..<taps { flipped[(c * outputs + o) * taps + taps - 1 - t] = weights[(o * channels + c) * taps + t] }
        }
      }
    }
    let dual = ConvGeometry(
      input: [batch, outputs, height, width], kernel: (kh, kw), outputs: channels, stride: 1, padding: padding)
    let (earlierReluCopy, earlierReluBits) = (Earlier.uses("relu-copy"), Earlier.uses("relu-bits-8"))
    let offsets = tapOffsets
    offsets.withUnsafeBufferPointer { offsets in
      forEachChunk(
        columns: !winograd && (!direct || inputGrad != nil),
        columnRows: transposed ? Swift.max(patch, outputs * taps) : 0, productRows: transposed ? channels : 0,
        { part, images, scratch in
          let columns = images.count * span
          // The chunk's output gradient (before the activation, if any) in the column layout, [O, n·span],
          // zero at the dropped positions.
          let first = images.lowerBound * outputs * hw
          var chunkGrad = outGrad + first
          // Dense columns (not the padded grid) after a ReLU kept as bits: its gradient goes straight into the
          // columns, plane by plane (one pass over the chunk's gradient instead of two).
          let reluIntoColumns = !runs && !pooled && outputBits != nil && !earlierReluCopy
          if reluIntoColumns, let outputBits {
            for j in 0..<images.count {
              for c in 0..<outputs {
                let at = (j * outputs + c) * hw
                ElementwiseLoops.reluGradient(
                  chunkGrad + at, bits: outputBits, from: first + at, into: scratch.rows + c * columns + j * span,
                  count: hw, sixteen: !earlierReluBits)
              }
            }
          } else if pooled {
            // Each pooled gradient, a quarter to each of its window's four positions.
            AveragePool2x2.spread(
              outGrad + first / 4, planes: images.count * outputs, height: outHeight, width: outWidth,
              into: scratch.activated)
            chunkGrad = UnsafePointer(scratch.activated)
          }
          if let activation, !reluIntoColumns {
            if pooled {
              activation.gradient(
                inPlace: scratch.activated, output: output + first, count: images.count * outputs * hw)
            } else if let outputBits {
              ElementwiseLoops.reluGradient(
                chunkGrad, bits: outputBits, from: first, into: scratch.activated, count: images.count * outputs * hw,
                sixteen: !earlierReluBits)
            } else {
              activation.gradient(
                chunkGrad, output: output + first, into: scratch.activated, count: images.count * outputs * hw)
            }
            chunkGrad = UnsafePointer(scratch.activated)
          }
          if runs { scratch.rows.update(repeating: 0, count: groupedOutputs * columns) }
          for j in 0..<images.count where !reluIntoColumns {
            for c in 0..<outputs {
              if !runs {
                // Dense columns: a plane is one run.
                (scratch.rows + c * columns + j * span).update(from: chunkGrad + (j * outputs + c) * hw, count: hw)
                continue
              }
              for y in 0..<outHeight {
                let target = scratch.rows + c * columns + j * span + y * rowPitch
                SIMDLanes.copy(
                  from: chunkGrad + ((j * outputs + c) * outHeight + y) * outWidth, to: target, count: outWidth)
              }
            }
          }
          if let biasPartials {
            for c in 0..<outputs {
              biasPartials[part * outputs + c] += ElementwiseLoops.sum(
                UnsafeBufferPointer(start: scratch.rows + c * columns, count: columns))
            }
          }
          if let weightPartials, !winograd {
            let partial = weightPartials + part * weightGradientSize
            if direct {
              pad(images, from: input, into: scratch.padded)
              for j in 0..<images.count {
                ConvolutionLoops.accumulateWeightGradient(
                  source: scratch.padded + j * paddedImage, offsets: offsets.baseAddress!, taps: groupedPatch,
                  outGrad: scratch.rows + j * span, gradPitch: columns, outputs: groupedOutputs, positions: span,
                  sums: scratch.sums)
              }
            } else {
              im2col(images, from: input, into: scratch)
              // [O, n·span] · [n·span, CKK]
              BLAS.serialGemm(
                transposeA: false, transposeB: true, m: outputs, n: patch, k: columns, a: scratch.rows, lda: columns,
                b: scratch.cols, ldb: columns, beta: 1, c: partial, ldc: patch, backend: backend)
            }
          }
          if let winogradGradients {
            winogradGradients.chunk(
              part: part, images: images, outGrad: scratch.rows, columns: columns, input: input, inputGrad: inputGrad)
          } else if let inputGrad, transposed {
            // [C, O·kk] · [O·kk, n·span] into the products' buffer (the output gradient's columns are not read
            // again); for 1×1 those columns are the output gradient's im2col.
            if taps > 1 { dual.im2colSamePlane(images, from: scratch.rows, into: scratch.cols, columnLayout: true) }
            flipped.withUnsafeBufferPointer { flipped in
              BLAS.serialGemm(
                transposeA: taps == 1, transposeB: false, m: channels, n: columns, k: outputs * taps,
                a: taps == 1 ? weights : flipped.baseAddress!, lda: taps == 1 ? channels : outputs * taps,
                b: taps == 1 ? scratch.rows : scratch.cols, ldb: columns, beta: 0,
                c: taps == 1 ? scratch.cols : scratch.rows, ldc: columns, backend: backend)
            }
            let product = taps == 1 ? scratch.cols : scratch.rows
            for (j, n) in images.enumerated() {
              for c in 0..<channels {
                (inputGrad + (n * channels + c) * hw).update(from: product + c * columns + j * span, count: hw)
              }
            }
          } else if let inputGrad {
            // [CKK, O] · [O, n·span]
            if direct {
              // A product with only O (16 in LeNet) terms per entry: `correlate` with the output channels as
              // its taps does it without OpenBLAS's packing and zeroing (columns of Wᵀ as weights).
              let channelOffsets = (0..<outputs).map { $0 * columns }
              ConvolutionLoops.correlate(
                source: scratch.rows, offsets: channelOffsets, taps: outputs, weights: transposedWeights,
                outputs: groupedPatch,
                positions: columns, out: scratch.cols, outPitch: columns)
            } else {
              BLAS.serialGemm(
                transposeA: true, transposeB: false, m: patch, n: columns, k: outputs, a: weights, lda: patch,
                b: scratch.rows, ldb: columns, beta: 0, c: scratch.cols, ldc: columns, backend: backend)
            }
            col2im(images, from: scratch, into: inputGrad)
          }
        },
        finish: { part, scratch in
          if let winogradGradients, let weightPartials {
            winogradGradients.finish(part: part, into: weightPartials + part * weightGradientSize)
          }
          // The direct weight gradient's vector sums, summed across lanes once per part.
          if direct, let weightPartials {
            ConvolutionLoops.reduce(
              scratch.sums, count: groupedOutputs * groupedPatch, into: weightPartials + part * weightGradientSize)
          }
        })
    }
  }
}
