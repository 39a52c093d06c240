import Foundation
import Testing

@testable import ClassificationRuntime

/// Winograd's F(2×2, 3×3) against convolution written as plain loops (in Double), and the layer's Winograd
/// way against im2col + sgemm (`.openBLASOnly`).
@Suite(.seededRandom(17)) struct WinogradTests {
  /// Winograd's rounding: its transforms add up to 4 inputs and 9 weights before the product, so its errors
  /// are a few times sgemm's (about 1e-6 relative here); a wrong transform is off by the values' own size.
  static let tolerance = 1e-4

  func close(_ a: [Float], _ b: [Double], _ what: String) {
    let worst = zip(a, b).map { Swift.abs(Double($0) - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
    #expect(a.count == b.count && worst < WinogradTests.tolerance, "\(what): largest relative difference \(worst)")
  }

  /// Runs `w.convolve` over `images` in chunks of `chunk` images, with transformed weights `u`.
  func convolve(
    _ w: Winograd, images: Int, chunk: Int, source: [Float], u: [Float], bias: [Float]?
  ) -> [Float] {
    let (plane, scratch) = (w.height * w.width, Winograd.Scratch([w], images: chunk))
    var out = [Float](repeating: .nan, count: images * w.outputs * plane)
    BLAS.prepareSerialGemm()
    out.withUnsafeMutableBufferPointer { out in
      let target = out.baseAddress!
      source.withUnsafeBufferPointer { x in
        u.withUnsafeBufferPointer { u in
          for first in stride(from: 0, to: images, by: chunk) {
            let count = Swift.min(chunk, images - first)
            let call = { (b: UnsafePointer<Float>?) in
              w.convolve(
                images: count, source: x.baseAddress! + first * w.channels * plane, imageStride: w.channels * plane,
                channelStride: plane, u: u.baseAddress!, bias: b, target: target + first * w.outputs * plane,
                targetImageStride: w.outputs * plane, targetChannelStride: plane, scratch: scratch)
            }
            if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress!) } } else { call(nil) }
          }
        }
      }
    }
    return out
  }

  /// The forward convolution, the input gradient (the output gradient convolved with the flipped,
  /// transposed weights) and the weight gradient (in the Winograd domain), for planes of 1×1 to 9×8 (odd sides: a last tile half outside the plane), channel
  /// and output counts below, at and past a vector's 16, one image and several chunks of them.
  /// (images, channels, outputs, height, width, images per chunk)
  @Test(
    arguments: [
      (1, 1, 1, 1, 1, 1), (2, 3, 5, 2, 2, 1), (3, 16, 16, 4, 4, 2), (1, 17, 33, 3, 5, 1), (5, 20, 7, 6, 6, 2),
      (4, 40, 24, 9, 8, 3), (2, 64, 48, 12, 12, 2), (3, 5, 70, 7, 7, 3),
    ])
  func matchesPlainLoops(_ shape: (Int, Int, Int, Int, Int, Int)) {
    let (n, c, o, h, wd, chunk) = shape
    let x = random([n, c, h, wd]).scalars
    let weights = random([o, c, 3, 3]).scalars
    let bias = random([o]).scalars
    let dy = random([n, o, h, wd]).scalars
    let forward = Winograd(channels: c, outputs: o, height: h, width: wd)
    let backward = Winograd(channels: o, outputs: c, height: h, width: wd)
    let u = weights.withUnsafeBufferPointer { forward.transformedWeights($0.baseAddress!, flipped: false) }
    let flipped = weights.withUnsafeBufferPointer { backward.transformedWeights($0.baseAddress!, flipped: true) }
    let out = convolve(forward, images: n, chunk: chunk, source: x, u: u, bias: bias)
    let dx = convolve(backward, images: n, chunk: chunk, source: dy, u: flipped, bias: nil)

    // Both gradients as the backward pass computes them (`WinogradGradients`), chunk by chunk from the output
    // gradient in the column layout `[O, n·H·W]`.
    let geometry = ConvGeometry(input: [n, c, h, wd], kernel: (3, 3), outputs: o, stride: 1, padding: 1)
    let gradients = weights.withUnsafeBufferPointer {
      WinogradGradients(geometry, weights: $0.baseAddress!, wantInput: true, wantWeight: true)
    }
    var (dxByChunks, dw) = ([Float](repeating: .nan, count: x.count), [Float](repeating: 0, count: weights.count))
    let plane = h * wd
    x.withUnsafeBufferPointer { x in
      dxByChunks.withUnsafeMutableBufferPointer { dx in
        for first in stride(from: 0, to: n, by: chunk) {
          let images = first..<Swift.min(first + chunk, n)
          let columns = images.count * plane
          var layout = [Float](repeating: 0, count: o * columns)
          for (j, image) in images.enumerated() {
            for f in 0..<o {
              for p in 0..<plane { layout[f * columns + j * plane + p] = dy[(image * o + f) * plane + p] }
            }
          }
          gradients.chunk(
            part: 0, images: images, outGrad: layout, columns: columns, input: x.baseAddress!,
            inputGrad: dx.baseAddress!)
        }
      }
    }
    dw.withUnsafeMutableBufferPointer { gradients.finish(part: 0, into: $0.baseAddress!) }

    var expected = [Double](repeating: 0, count: n * o * h * wd)
    var expectedDx = [Double](repeating: 0, count: x.count)
    var expectedDw = [Double](repeating: 0, count: weights.count)
    for image in 0..<n {
      for f in 0..<o {
        for y in 0..<h {
          for z in 0..<wd {
            let at = ((image * o + f) * h + y) * wd + z
            var total = Double(bias[f])
            for channel in 0..<c {
              for ky in 0..<3 {
                for kx in 0..<3 {
                  let (iy, ix) = (y + ky - 1, z + kx - 1)
                  guard iy >= 0 && iy < h && ix >= 0 && ix < wd else { continue }
                  let xi = ((image * c + channel) * h + iy) * wd + ix
                  let wi = ((f * c + channel) * 3 + ky) * 3 + kx
                  total += Double(x[xi]) * Double(weights[wi])
                  expectedDx[xi] += Double(dy[at]) * Double(weights[wi])
                  expectedDw[wi] += Double(dy[at]) * Double(x[xi])
                }
              }
            }
            expected[at] = total
          }
        }
      }
    }
    close(out, expected, "output")
    close(dx, expectedDx, "input gradient")
    close(dxByChunks, expectedDx, "input gradient (backward pass)")
    close(dw, expectedDw, "weight gradient")
  }

  /// The layer takes Winograd's way for 3×3 "same" convolutions on sgemm's path and matches im2col + sgemm:
  /// output, gradients (input, weights, bias), with and without a fused ReLU, the input gradient in place
  /// over the output's (as many filters as channels) or not, over several chunks per core.
  /// (images, channels, outputs, side)
  @Test(arguments: [(24, 40, 40, 8), (6, 40, 24, 7), (3, 64, 64, 5), (2, 70, 36, 4), (5, 48, 40, 3)], [false, true])
  func layerMatchesIm2col(_ shape: (Int, Int, Int, Int), _ relu: Bool) {
    let (n, c, o, side) = shape
    let x = random([n, c, side, side])
    let w = random([o, c, 3, 3], lower: -0.2, upper: 0.2)
    let b = random([o])
    let g = random([n, o, side, side])
    let winograd = ConvGeometry(input: x.shape, kernel: (3, 3), outputs: o, stride: 1, padding: 1)
    #expect(winograd.winograd && winograd.transposedInputGradient)
    let im2col = ConvGeometry(
      input: x.shape, kernel: (3, 3), outputs: o, stride: 1, padding: 1, backend: .openBLASOnly)
    #expect(!im2col.winograd)
    func run(_ backend: Backend) -> [[Float]] {
      for t in [x, w, b] {
        t.requiresGrad = true
        t.grad = nil
      }
      let y = x.convolution(
        weight: w, bias: b, stride: 1, padding: 1, activation: relu ? .relu : nil, pooled: false, backend: backend)
      // `y · 1`'s gradient is a fresh tensor: the in-place way where the shapes allow it.
      (y * Tensor(scalar: 1)).backward(g)
      return [y.scalars, x.grad!.scalars, w.grad!.scalars, b.grad!.scalars]
    }
    let (fast, reference) = (run(.ownLoops), run(.openBLASOnly))
    for (i, what) in ["output", "input gradient", "weight gradient", "bias gradient"].enumerated() {
      close(fast[i], reference[i].map(Double.init), what)
    }
    #expect(fast[1].contains { $0 != 0 })
  }

  /// Planes narrower than `ConvGeometry.winogradPlane`, other kernels, strides and paddings, and
  /// `.openBLASOnly` keep im2col + sgemm.
  @Test func onlyWhereItSuits() {
    func uses(_ input: [Int], kernel: Int = 3, stride: Int = 1, padding: Int = 1, _ backend: Backend = .ownLoops)
      -> Bool
    {
      ConvGeometry(
        input: input, kernel: (kernel, kernel), outputs: 64, stride: stride, padding: padding, backend: backend
      ).winograd
    }
    #expect(uses([8, 64, 12, 12]))
    #expect(!uses([8, 64, 12, 12], .openBLASOnly))
    #expect(!uses([8, 64, 12, 12], stride: 2))
    #expect(!uses([8, 64, 12, 12], kernel: 5, padding: 2))
    #expect(!uses([8, 64, 12, 12], padding: 0))
    #expect(!uses([8, 64, ConvGeometry.winogradPlane - 1, ConvGeometry.winogradPlane - 1]))
  }
}
