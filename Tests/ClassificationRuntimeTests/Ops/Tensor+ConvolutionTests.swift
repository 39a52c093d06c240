import Foundation
import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(3)) struct ConvolutionGradientTests {
  @Test(arguments: [(0, 1), (1, 1), (2, 1), (1, 2)])
  func conv2dWithPaddingAndStride(_ padding: Int, _ stride: Int) {
    let x = random([2, 2, 5, 5])
    let w = random([3, 2, 3, 3], lower: -0.5, upper: 0.5)
    let b = random([3])
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

  /// A convolution whose input has its output's shape writes the input gradient over the output's when the
  /// backward pass holds the only reference to it: the same gradients as into buffers of their own (a user's
  /// gradient, left as it was), with and without a fused ReLU, over several chunks per core. (channels = filters,
  /// kernel.)
  @Test(arguments: [(64, 3), (40, 1), (64, 5)], [false, true])
  func inPlaceInputGradientMatchesTheOtherWay(_ geometry: (Int, Int), _ relu: Bool) {
    let (c, k) = geometry
    let x = random([24, c, 30, 30])
    let w = random([c, c, k, k], lower: -0.1, upper: 0.1)
    let b = random([c])
    let g = random([24, c, 30, 30])
    let kept = g.scalars
    let geometry = ConvGeometry(input: x.shape, kernel: (k, k), outputs: c, stride: 1, padding: k / 2)
    #expect(geometry.transposedInputGradient && geometry.imagesPerChunk < 24 / Parallel.cores)
    func grads(inPlace: Bool) -> [[Float]] {
      for t in [x, w, b] {
        t.requiresGrad = true
        t.grad = nil
      }
      let y = x.convolution(weight: w, bias: b, stride: 1, padding: k / 2, activation: relu ? .relu : nil, pooled: false)
      // `y · 1`'s gradient is a fresh tensor nobody else holds; the user's `g` is held by the caller.
      if inPlace { (y * Tensor(scalar: 1)).backward(g) } else { y.backward(g) }
      return [x.grad!.scalars, w.grad!.scalars, b.grad!.scalars]
    }
    let (separate, overwritten) = (grads(inPlace: false), grads(inPlace: true))
    #expect(separate == overwritten)
    #expect(g.scalars == kept)
    #expect(separate[0].contains { $0 != 0 })
  }

  /// A batch big enough to be cut into several chunks per core (see `ConvGeometry.forEachChunk`), checked
  /// value by value against convolution written as plain loops: the output, and the gradients of
  /// `sum(out · r)` for a random `r` (input, weight and bias).
  ///
  /// Geometries: (padding, stride, filters, kernel, channels). Five filters are narrow (the own loops, or
  /// im2col on the padded grid); forty are wide (sgemm on the dense column matrix), with "same" padding a
  /// shifted plane and the input gradient the transposed convolution of the output gradient (more filters
  /// than channels, fewer, and 1×1).
  @Test(
    arguments: [
      (1, 1, 5, 3, 6), (0, 1, 5, 3, 6), (1, 2, 5, 3, 6), (1, 1, 40, 3, 6), (2, 1, 40, 5, 6), (0, 1, 40, 3, 6),
      (1, 1, 40, 3, 64), (2, 1, 70, 5, 80), (0, 1, 40, 1, 6), (0, 1, 40, 1, 48), (0, 2, 40, 1, 6),
    ], [true, false])
  func conv2dOfAChunkedBatchMatchesPlainLoops(_ geometry: (Int, Int, Int, Int, Int), _ ownLoops: Bool) {
    let (padding, stride, o, k, c) = geometry
    // Both ways: the stride-1 kernels, and im2col + sgemm (CLASSIFICATION_RUNTIME_OPENBLAS_ONLY).
    let backend: Backend = ownLoops ? .ownLoops : .openBLASOnly
    let (n, h) = (24, 30)
    let x = random([n, c, h, h])
    let w = random([o, c, k, k])
    let b = random([o])
    let chunks = ConvGeometry(
      input: x.shape, kernel: (k, k), outputs: o, stride: stride, padding: padding, backend: backend)
    #expect(chunks.direct == (ownLoops && stride == 1 && o <= ConvGeometry.directOutputs && k * k * c <= 256))
    #expect(chunks.samePlane == (o > ConvGeometry.directOutputs && stride == 1 && 2 * padding == k - 1))
    #expect(chunks.winograd == (ownLoops && chunks.samePlane && k == 3))
    #expect(chunks.transposedInputGradient == (chunks.samePlane && (k == 1 || c >= 64 || chunks.winograd)))
    #expect(chunks.imagesPerChunk < n / Parallel.cores, "the batch should span several chunks per core")
    for t in [x, w, b] { t.requiresGrad = true }
    let out = x.conv2d(weight: w, bias: b, stride: stride, padding: padding, backend: backend)
    let oh = (h + 2 * padding - k) / stride + 1
    #expect(out.shape == [n, o, oh, oh])
    let r = random(out.shape)
    (out * r).sum().backward()

    // Sums in Double, so the reference's own rounding stays far below the tolerance.
    var expected = [Double](repeating: 0, count: out.count)
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
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
                  let xi = ((image * c + channel) * h + iy) * h + ix
                  let wi = ((f * c + channel) * k + ky) * k + kx
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
}
