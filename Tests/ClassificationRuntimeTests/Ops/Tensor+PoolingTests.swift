import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(9)) struct PoolingGradientTests {
  @Test func pooling() {
    let x = Tensor(shape: [1, 2, 4, 4], scalars: (0..<32).map { Float(($0 * 7) % 32) / 10 })
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].maxPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 3, stride: 1) }
    let y = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    #expect(y.avgPool2d(kernelSize: 2).scalars == [2.5])
    #expect(y.maxPool2d(kernelSize: 2).scalars == [4])
  }

  /// ResNet's stem pooling (3×3, stride 2, padding 1) and GoogLeNet's (3×3, stride 1, padding 1).
  @Test(arguments: [(3, 2, 1), (3, 1, 1), (2, 2, 1), (3, 3, 0)])
  func paddedPooling(_ geometry: (Int, Int, Int)) {
    let (k, s, p) = geometry
    // Distinct values, so that the maximum of each window is unique and the gradient is defined.
    let x = Tensor(shape: [2, 2, 5, 6], scalars: (0..<120).map { Float(($0 * 37) % 120) / 20 - 3 })
    checkGradients([x]) { $0[0].maxPool2d(kernelSize: k, stride: s, padding: p) }
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: k, stride: s, padding: p) }
    let out = x.maxPool2d(kernelSize: k, stride: s, padding: p)
    #expect(out.shape == [2, 2, (5 + 2 * p - k) / s + 1, (6 + 2 * p - k) / s + 1])
  }

  /// Max pooling with `2·padding < k` takes the vector loop over a padded grid (16 windows at a time, wide
  /// and narrow planes, as GoogLeNet's 12×12, 6×6 and 3×3, strides 1 to 3): the values and the gradient's
  /// positions match plain loops, ties going to the first position as in the scalar loop. (k, stride, padding,
  /// height, width.)
  @Test(arguments: [
    (3, 1, 1, 7, 41), (5, 1, 2, 7, 41), (2, 1, 0, 7, 41), (3, 1, 1, 12, 12), (3, 1, 1, 6, 6), (3, 1, 1, 3, 3),
    (3, 1, 1, 1, 1), (5, 1, 2, 2, 3), (3, 1, 0, 5, 4), (3, 2, 1, 48, 48), (3, 2, 1, 7, 9), (3, 2, 1, 3, 3),
    (3, 3, 0, 10, 11), (2, 2, 1, 5, 6), (2, 2, 0, 5, 7),
  ])
  func maxPoolingMatchesPlainLoops(_ geometry: (Int, Int, Int, Int, Int)) {
    let (k, s, pad, h, w) = geometry
    let (n, c) = (2, 3)
    // Few distinct values, so that windows hold ties.
    let x = Tensor(shape: [n, c, h, w], scalars: (0..<(n * c * h * w)).map { Float(($0 * 7919) % 13) })
    x.requiresGrad = true
    let y = x.maxPool2d(kernelSize: k, stride: s, padding: pad)
    let (oh, ow) = ((h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1)
    #expect(y.shape == [n, c, oh, ow])
    var expected = [Float](repeating: 0, count: n * c * oh * ow)
    var expectedGrad = [Float](repeating: 0, count: x.count)
    for p in 0..<(n * c) {
      for i in 0..<oh {
        for j in 0..<ow {
          var (best, at) = (-Float.infinity, -1)
          for r in max(0, i * s - pad)..<min(h, i * s - pad + k) {
            for q in max(0, j * s - pad)..<min(w, j * s - pad + k) where x.scalars[(p * h + r) * w + q] > best {
              (best, at) = (x.scalars[(p * h + r) * w + q], (p * h + r) * w + q)
            }
          }
          expected[(p * oh + i) * ow + j] = best
          expectedGrad[at] += Float((p * oh + i) * ow + j % 5)
        }
      }
    }
    #expect(y.scalars == expected)
    y.backward(Tensor(shape: y.shape, scalars: (0..<y.count).map { Float($0 / ow * ow + $0 % ow % 5) }))
    #expect(x.grad!.scalars == expectedGrad)
  }

  /// A window of only −∞ (or NaN) sends its gradient to its centre, inside the image, not to the padding.
  @Test func strideOnePoolingOfMinusInfinity() {
    let x = Tensor(shape: [1, 1, 2, 3], scalars: [-.infinity, -.infinity, .nan, -.infinity, 1, -.infinity])
    x.requiresGrad = true
    let y = x.maxPool2d(kernelSize: 3, stride: 1, padding: 1)
    #expect(y.scalars == [1, 1, 1, 1, 1, 1])
    y.backward(Tensor(ones: y.shape))
    #expect(x.grad!.scalars == [0, 0, 0, 0, 6, 0])
    let z = Tensor(shape: [1, 1, 1, 2], scalars: [-.infinity, .nan])
    z.requiresGrad = true
    let out = z.maxPool2d(kernelSize: 3, stride: 1, padding: 1)
    #expect(out.scalars == [-.infinity, -.infinity])
    out.backward(Tensor(shape: out.shape, scalars: [1, 2]))
    #expect(z.grad!.scalars == [1, 2])
  }

  @Test func paddingByHand() {
    // A 2×2 plane with negative values: padding (zeros for the average) never wins the maximum.
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [-1, -2, -3, -4])
    #expect(x.maxPool2d(kernelSize: 3, stride: 1, padding: 1).scalars == [-1, -1, -1, -1])
    // Average with the padding counted (count_include_pad): the sum of the window over 9.
    #expect(x.avgPool2d(kernelSize: 3, stride: 2, padding: 1).scalars == [-10 / 9])
  }

  @Test(arguments: [(1, 1), (2, 3), (3, 2)])
  func adaptiveAveragePooling(_ size: (Int, Int)) {
    let x = random([2, 3, 5, 7])
    checkGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: size) }
    #expect(x.adaptiveAvgPool2d(outputSize: size).shape == [2, 3, size.0, size.1])
  }

  @Test func globalAveragePoolingIsThePlaneMean() {
    let x = random([2, 3, 4, 4])
    let pooled = AdaptiveAvgPool2d(outputSize: (1, 1))(x)
    let mean = x.mean(axis: 3, keepingDims: true).mean(axis: 2, keepingDims: true)
    #expect(pooled.shape == [2, 3, 1, 1])
    #expect(zip(pooled.scalars, mean.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
  }
}
