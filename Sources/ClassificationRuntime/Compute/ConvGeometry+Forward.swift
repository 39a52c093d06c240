extension ConvGeometry {
  /// The batch's output `[N, O, outH, outW]` (bias included).
  func forward(
    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>,
    pooled pooledOutput: UnsafeMutablePointer<Float>? = nil
  ) {
    if winograd {
      return winogradForward(input: input, weights: weights, bias: bias, output: output, pooled: pooledOutput)
    }
    let offsets = tapOffsets
    offsets.withUnsafeBufferPointer { offsets in
      forEachChunk(columns: !direct) { _, images, scratch in
        let columns = images.count * span
        if direct {
          pad(images, from: input, into: scratch.padded)
          for j in 0..<images.count {
            ConvolutionLoops.correlate(
              source: scratch.padded + j * paddedImage, offsets: offsets.baseAddress!, taps: patch, weights: weights,
              outputs: groupedOutputs, positions: span, out: scratch.rows + j * span, outPitch: columns)
          }
        } else {
          im2col(images, from: input, into: scratch)
          // [O, CKK] · [CKK, n·span] → [O, n·span]
          BLAS.serialGemm(
            transposeA: false, transposeB: false, m: outputs, n: columns, k: patch, a: weights, lda: patch,
            b: scratch.cols,
            ldb: columns, beta: 0, c: scratch.rows, ldc: columns, backend: backend)
        }
        for (j, n) in images.enumerated() {
          for c in 0..<outputs {
            let shift = bias[c]
            if !runs {
              // Dense columns: a plane is one run.
              let plane = outHeight * outWidth
              SIMDLanes.copy(
                from: scratch.rows + c * columns + j * span, to: output + (n * outputs + c) * plane, count: plane,
                adding: shift)
              continue
            }
            for y in 0..<outHeight {
              let source = scratch.rows + c * columns + j * span + y * rowPitch
              let target = output + ((n * outputs + c) * outHeight + y) * outWidth
              SIMDLanes.copy(from: source, to: target, count: outWidth, adding: shift)
            }
          }
        }
        // The chunk's images are one contiguous stretch of the output.
        activation?.apply(
          output + images.lowerBound * outputs * outHeight * outWidth,
          count: images.count * outputs * outHeight * outWidth)
        if let pooledOutput {
          let planes = images.count * outputs
          let first = images.lowerBound * outputs
          AveragePool2x2.average(
            output + first * outHeight * outWidth, planes: planes, height: outHeight, width: outWidth,
            into: pooledOutput + first * outHeight * outWidth / 4)
        }
      }
    }
  }
}
