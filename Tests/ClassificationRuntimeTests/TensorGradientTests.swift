import Foundation
import Testing

@testable import ClassificationRuntime

@Suite struct ElementwiseGradientTests {
  @Test(arguments: [
    ([2, 3], [2, 3]), ([2, 3], [3]), ([2, 3], [2, 1]), ([3], [2, 3]), ([2, 1, 3], [4, 1]), ([2, 3], []), ([1, 3], [2, 1]),
  ])
  func arithmeticWithBroadcasting(_ a: [Int], _ b: [Int]) {
    Random.seed(1)
    let x = random(a), y = random(b, lower: 0.5, upper: 2)
    checkGradients([x, y]) { $0[0] + $0[1] }
    checkGradients([x, y]) { $0[0] - $0[1] }
    checkGradients([x, y]) { $0[0] * $0[1] }
    checkGradients([x, y]) { $0[0] / $0[1] }
  }

  @Test func scalarOperandsAndNegation() {
    let x = random([2, 3])
    checkGradients([x]) { 2 * $0[0] + 1 }
    checkGradients([x]) { 3 - $0[0] / 4 }
    checkGradients([x]) { -$0[0] }
    checkGradients([random([3], lower: 0.5, upper: 2)]) { 1 / $0[0] }
  }

  @Test func unaryFunctions() {
    checkGradients([random([3, 4])]) { $0[0].exp() }
    checkGradients([random([3, 4], lower: 0.5, upper: 3)]) { $0[0].log() }
    checkGradients([random([3, 4], lower: 0.5, upper: 3)]) { $0[0].sqrt() }
    checkGradients([random([3, 4], lower: 0.5, upper: 3)]) { $0[0].pow(1.5) }
    checkGradients([random([3, 4])]) { $0[0].sigmoid() }
    checkGradients([random([3, 4])]) { $0[0].tanh() }
    checkGradients([random([3, 4])]) { $0[0].squared() }
    // Away from the kinks at 0, where finite differences are not defined.
    checkGradients([Tensor([[-0.8, 0.6, -0.3], [0.9, -0.5, 0.4]])]) { $0[0].relu() }
    checkGradients([Tensor([[-0.8, 0.6, -0.3], [0.9, -0.5, 0.4]])]) { $0[0].abs() }
    checkGradients([Tensor([-2, -0.5, 0.5, 2])]) { $0[0].clamped(lower: -1, upper: 1) }
  }

  @Test func aTensorUsedTwiceAccumulatesBothPaths() {
    checkGradients([random([2, 3])]) { $0[0] * $0[0] + $0[0].exp() }
  }
}

@Suite struct ReductionGradientTests {
  @Test func sumsAndMeans() {
    let x = random([2, 3, 4])
    checkGradients([x]) { $0[0].sum() }
    checkGradients([x]) { $0[0].mean() }
    for axis in [0, 1, 2, -1] {
      checkGradients([x]) { $0[0].sum(axis: axis) }
      checkGradients([x]) { $0[0].mean(axis: axis, keepingDims: true) }
    }
  }

  @Test func maxAlongAnAxis() {
    // Distinct values, so the maximum is unique and differentiable.
    let x = Tensor(shape: [2, 3, 2], scalars: [0.1, 0.9, -0.4, 0.3, 0.7, -0.8, 0.5, -0.2, 0.25, 0.65, -0.6, 0.45])
    checkGradients([x]) { $0[0].max(axis: 1) }
    checkGradients([x]) { $0[0].max(axis: -1, keepingDims: true) }
  }

  @Test func softmaxAndLogSoftmax() {
    let x = random([3, 4], lower: -2, upper: 2)
    checkGradients([x]) { $0[0].softmax(axis: 1) }
    checkGradients([x]) { $0[0].logSoftmax(axis: 1) }
    checkGradients([random([2, 3, 2])]) { $0[0].softmax(axis: 1) }
    checkGradients([random([2, 3, 2])]) { $0[0].logSoftmax(axis: 0) }
  }

  @Test func crossEntropyAveragedAndPerExample() {
    let logits = random([4, 5], lower: -3, upper: 3)
    let labels = Tensor([0, 4, 2, 2])
    checkGradients([logits]) { crossEntropy($0[0], labels) }
    checkGradients([logits]) { crossEntropy($0[0], labels, averaged: false) }
  }
}

@Suite struct ShapeAndProductGradientTests {
  @Test func matmulBothSides() {
    checkGradients([random([3, 4]), random([4, 2])]) { $0[0].matmul($0[1]) }
    checkGradients([random([1, 5]), random([5, 3])]) { matmul($0[0], $0[1]) }
  }

  /// `Linear`'s operation: x · W + b, alone and with the activation `Sequential` hands it.
  @Test func affineWithAndWithoutItsActivation() {
    checkGradients([random([3, 4]), random([4, 2]), random([2])]) { $0[0].affine($0[1], $0[2], activation: nil) }
    checkGradients([random([3, 4]), random([4, 2]), random([2])]) { $0[0].affine($0[1], $0[2], activation: .sigmoid) }
    let (x, w, b) = (random([2, 3]), random([3, 2]), random([2]))
    let expected = (x.matmul(w) + b).relu()
    #expect(zip(x.affine(w, b, activation: .relu).scalars, expected.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
  }

  /// `Sequential` runs a `Linear` and the activation after it as one operation: the same values and
  /// gradients as the layers apart.
  @Test(arguments: [0, 1])
  func linearWithItsActivationMatchesTheLayersApart(_ which: Int) {
    Random.seed(9)
    let activation: Layer = which == 0 ? Sigmoid() : ReLU()
    let linear = Linear(inputs: 7, outputs: 5)
    let x = random([6, 7])
    x.requiresGrad = true
    let fused = Sequential(linear, activation)(x)
    #expect(fused.node!.inputs.map(ObjectIdentifier.init) == [x, linear.weight, linear.bias].map(ObjectIdentifier.init))
    let r = random(fused.shape)
    (fused * r).sum().backward()
    let fusedGrads = [x, linear.weight, linear.bias].map { $0.grad!.scalars }
    for t in [x, linear.weight, linear.bias] { t.grad = nil }
    let apart = activation(x.matmul(linear.weight) + linear.bias)
    (apart * r).sum().backward()
    let apartGrads = [x, linear.weight, linear.bias].map { $0.grad!.scalars }
    #expect(zip(fused.scalars, apart.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    for (a, b) in zip(fusedGrads, apartGrads) {
      #expect(a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }
  }

  @Test func reshapeTransposePermuteSlice() {
    let x = random([2, 3, 4])
    checkGradients([x]) { $0[0].reshaped([4, -1]) }
    checkGradients([random([3, 5])]) { $0[0].transposed() }
    checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
    checkGradients([x]) { $0[0][1] }
    checkGradients([x]) { $0[0][0..<1] * 2 }
    checkGradients([x]) { $0[0].flattened() }
  }

  @Test func gatheringAndConcatenating() {
    checkGradients([random([3, 4])]) { $0[0].gathering(classes: Tensor([3, 0, 1])) }
    checkGradients([random([2, 3]), random([1, 3])]) { Tensor.concatenating([$0[0], $0[1]]) }
  }
}

@Suite struct ConvolutionGradientTests {
  @Test(arguments: [(0, 1), (1, 1), (2, 1), (1, 2)])
  func conv2dWithPaddingAndStride(_ padding: Int, _ stride: Int) {
    let x = random([2, 2, 5, 5]), w = random([3, 2, 3, 3], lower: -0.5, upper: 0.5), b = random([3])
    checkGradients([x, w, b]) { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: stride, padding: padding) }
  }

  @Test func conv2dMatchesADirectComputation() {
    let x = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
    let w = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
    // out[i, j] = x[i, j] − x[i+1, j+1] = −4 everywhere.
    #expect(x.conv2d(weight: w).scalars == [-4, -4, -4, -4])
    let padded = x.conv2d(weight: w, padding: 1)
    #expect(padded.shape == [1, 1, 4, 4] && padded.scalars[0] == -1 && padded.scalars[15] == 9)
  }

  /// A batch big enough to be cut into several chunks per core (see `ConvGeometry.forEachChunk`), checked
  /// value by value against convolution written as plain loops: the output, and the gradients of
  /// `sum(out · r)` for a random `r` (input, weight and bias).
  @Test(arguments: [(1, 1), (0, 1), (1, 2)], [true, false])
  func conv2dOfAChunkedBatchMatchesPlainLoops(_ geometry: (Int, Int), _ ownKernels: Bool) {
    let (padding, stride) = geometry
    // Both ways: the stride-1 kernels, and im2col + sgemm (CLASSIFICATION_RUNTIME_OPENBLAS_ONLY).
    BLAS.ownKernels = ownKernels
    defer { BLAS.ownKernels = true }
    Random.seed(3)
    let (n, c, h, o, k) = (24, 6, 30, 5, 3)
    let x = random([n, c, h, h]), w = random([o, c, k, k]), b = random([o])
    let chunks = ConvGeometry(input: x.shape, kernel: (k, k), outputs: o, stride: stride, padding: padding)
    #expect(chunks.direct == (ownKernels && stride == 1))
    #expect(chunks.imagesPerChunk < n / Parallel.cores, "the batch should span several chunks per core")
    for t in [x, w, b] { t.requiresGrad = true }
    let out = x.conv2d(weight: w, bias: b, stride: stride, padding: padding)
    let oh = (h + 2 * padding - k) / stride + 1
    #expect(out.shape == [n, o, oh, oh])
    let r = random(out.shape)
    (out * r).sum().backward()

    // Sums in Double, so the reference's own rounding stays far below the tolerance.
    var expected = [Double](repeating: 0, count: out.count)
    var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: o)
    let (xs, ws, rs) = (x.scalars.map(Double.init), w.scalars.map(Double.init), r.scalars.map(Double.init))
    for image in 0..<n {
      for f in 0..<o {
        for y in 0..<oh {
          for z in 0..<oh {
            let at = ((image * o + f) * oh + y) * oh + z
            var total = Double(b.scalars[f])
            db[f] += rs[at]
            for channel in 0..<c {
              for ky in 0..<k {
                for kx in 0..<k {
                  let (iy, ix) = (y * stride + ky - padding, z * stride + kx - padding)
                  guard iy >= 0 && iy < h && ix >= 0 && ix < h else { continue }
                  let xi = ((image * c + channel) * h + iy) * h + ix, wi = ((f * c + channel) * k + ky) * k + kx
                  total += xs[xi] * ws[wi]
                  dx[xi] += rs[at] * ws[wi]
                  dw[wi] += rs[at] * xs[xi]
                }
              }
            }
            expected[at] = total
          }
        }
      }
    }
    func close(_ a: [Float], _ b: [Double], _ what: String) {
      let worst = zip(a, b).map { Swift.abs(Double($0) - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
      #expect(a.count == b.count && worst < 1e-4, "\(what): largest relative difference \(worst)")
    }
    close(out.scalars, expected, "output")
    close(x.grad!.scalars, dx, "input gradient")
    close(w.grad!.scalars, dw, "weight gradient")
    close(b.grad!.scalars, db, "bias gradient")
  }

  /// `Sequential` runs a convolution and the activation after it (and 2×2 average pooling after that) as
  /// one operation: the same output and the same gradients as the layers applied one after the other.
  @Test(arguments: [0, 1], [false, true])
  func convolutionWithItsActivationMatchesTheLayersApart(_ which: Int, _ pooling: Bool) {
    for ownKernels in [true, false] {
      BLAS.ownKernels = ownKernels
      defer { BLAS.ownKernels = true }
      fusedConvolutionMatchesTheLayersApart(which, pooling)
    }
  }

  func fusedConvolutionMatchesTheLayersApart(_ which: Int, _ pooling: Bool) {
    Random.seed(5)
    let activation: Layer = which == 0 ? Sigmoid() : ReLU()
    let conv = Conv2d(outputs: 5, kernelSize: 3, padding: 1)
    let pool = AvgPool2d(kernelSize: 2, stride: 2)
    let x = random([24, 6, 30, 30])
    x.requiresGrad = true
    let fused = (pooling ? Sequential(conv, activation, pool) : Sequential(conv, activation))(x)
    #expect(fused.shape == (pooling ? [24, 5, 15, 15] : [24, 5, 30, 30]))
    // One operation: its inputs are the convolution's own (not a separate activation's input).
    #expect(fused.node!.inputs.map(ObjectIdentifier.init) == [x, conv.weight, conv.bias].map(ObjectIdentifier.init))
    let r = random(fused.shape)
    (fused * r).sum().backward()
    let (fusedX, fusedW, fusedB) = (x.grad!.scalars, conv.weight.grad!.scalars, conv.bias.grad!.scalars)
    for t in [x, conv.weight, conv.bias] { t.grad = nil }
    let apart = pooling ? pool(activation(conv(x))) : activation(conv(x))
    (apart * r).sum().backward()
    func close(_ a: [Float], _ b: [Float], _ what: String) {
      let worst = zip(a, b).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
      #expect(a.count == b.count && worst < 1e-5, "\(what): largest relative difference \(worst)")
    }
    close(fused.scalars, apart.scalars, "output")
    close(fusedX, x.grad!.scalars, "input gradient")
    close(fusedW, conv.weight.grad!.scalars, "weight gradient")
    close(fusedB, conv.bias.grad!.scalars, "bias gradient")
  }

  @Test func pooling() {
    let x = Tensor(shape: [1, 2, 4, 4], scalars: (0..<32).map { Float(($0 * 7) % 32) / 10 })
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].maxPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 3, stride: 1) }
    let y = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    #expect(y.avgPool2d(kernelSize: 2).scalars == [2.5])
    #expect(y.maxPool2d(kernelSize: 2).scalars == [4])
  }
}
