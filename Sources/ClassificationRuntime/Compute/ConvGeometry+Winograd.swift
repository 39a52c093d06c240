extension Winograd {
  /// One core's buffers for chunks of up to `images` images of each of `shapes`: the channel-last input grid
  /// of the first (and with `secondGrid` of the second), zeroed once (only their interiors are rewritten); V,
  /// and over it the channel-last outputs (V is spent once the products are made); M (`products`).
  final class Scratch {
    let grid, secondGrid, transformed, products: UnsafeMutablePointer<Float>
    var outputs: UnsafeMutablePointer<Float> { transformed }

    init(_ shapes: [Winograd], images: Int, secondGrid second: Bool = false) {
      func buffer(_ count: Int, zeroed: Bool = false) -> UnsafeMutablePointer<Float> {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * 4, alignment: 64)
          .bindMemory(to: Float.self, capacity: Swift.max(1, count))
        if zeroed { pointer.initialize(repeating: 0, count: Swift.max(1, count)) }
        return pointer
      }
      grid = buffer(images * shapes[0].gridImage, zeroed: true)
      secondGrid = buffer(second ? images * shapes[1].gridImage : 0, zeroed: true)
      transformed = buffer(
        shapes.map { Swift.max(16 * images * $0.tilesPerImage * $0.paddedChannels, images * $0.outImage) }.max()!)
      products = buffer(shapes.map { 16 * images * $0.tilesPerImage * $0.paddedOutputs }.max()!)
    }

    deinit {
      for pointer in [grid, secondGrid, transformed, products] { pointer.deallocate() }
    }
  }

  /// The convolution of `images` images with the transformed weights `u` (`transformedWeights`): plane (j, c)
  /// of the input at `source + j·imageStride + c·channelStride`, plane (j, o) of the output (`bias` added, if
  /// any) at `target + j·targetImageStride + o·targetChannelStride`. The products run on the calling thread
  /// (after `BLAS.prepareSerialGemm`).
  func convolve(
    images: Int, source: UnsafePointer<Float>, imageStride: Int, channelStride: Int, u: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, target: UnsafeMutablePointer<Float>, targetImageStride: Int,
    targetChannelStride: Int, scratch: Scratch
  ) {
    fillGrid(
      images: images, source: source, imageStride: imageStride, channelStride: channelStride, grid: scratch.grid)
    convolveGrid(
      images: images, u: u, bias: bias, target: target, targetImageStride: targetImageStride,
      targetChannelStride: targetChannelStride, scratch: scratch)
  }

  /// `convolve` of the images already in `scratch.grid`.
  func convolveGrid(
    images: Int, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?, target: UnsafeMutablePointer<Float>,
    targetImageStride: Int, targetChannelStride: Int, scratch: Scratch
  ) {
    transformInput(images: images, grid: scratch.grid, into: scratch.transformed)
    let tiles = images * tilesPerImage
    let (pc, po) = (paddedChannels, paddedOutputs)
    for xi in 0..<16 {
      // [tiles, C] · [C, O]
      BLAS.serialGemm(
        transposeA: false, transposeB: false, m: tiles, n: po, k: channels, a: scratch.transformed + xi * tiles * pc,
        lda: pc, b: u + xi * channels * po, ldb: po, beta: 0, c: scratch.products + xi * tiles * po, ldc: po,
        backend: .ownLoops)  // (Winograd's way is taken only on `.ownLoops`.)
    }
    transformOutput(images: images, products: scratch.products, into: scratch.outputs)
    emptyGrid(
      images: images, from: scratch.outputs, bias: bias, target: target, imageStride: targetImageStride,
      channelStride: targetChannelStride)
  }

  /// Images per chunk: about 512 tiles (a product of 512 rows; fewer, and sgemm's packing of U[ξ] for every
  /// product weighs), with V and M of at most 4 MB each (less than im2col's column matrices, up to 14 MB),
  /// and no more than a core's share of `batch`. (8 MB, A/B: 2% less CPU for ResNet-18's step, 5% for
  /// GoogLeNet's, but their peak memory 50 MB higher.)
  func imagesPerChunk(batch: Int) -> Int {
    let wide = (512 + tilesPerImage - 1) / tilesPerImage
    let fits = (1 << 20) / Swift.max(1, 16 * tilesPerImage * Swift.max(paddedChannels, paddedOutputs))
    let share = (batch + Parallel.cores - 1) / Parallel.cores
    return Swift.max(1, Swift.min(share, wide, fits))
  }
}

extension ConvGeometry {
  /// Whether a convolution suits Winograd's F(2×2, 3×3): 3×3, stride 1, padding 1, on sgemm's path (not
  /// LeNet's narrow ones, nor `.openBLASOnly`), unless `Earlier` `im2col-3x3` asks for im2col + sgemm.
  static func suitsWinograd(
    kernel: (Int, Int), stride: Int, padding: Int, height: Int, width: Int, runs: Bool, backend: Backend
  ) -> Bool {
    kernel == (3, 3) && stride == 1 && padding == 1 && !runs && backend == .ownLoops
      && height >= ConvGeometry.winogradPlane && width >= ConvGeometry.winogradPlane && !Earlier.uses("im2col-3x3")
  }

  /// The smallest plane side Winograd computes. A 3×3 plane is 4 tiles: 64 products for 81, and the 16
  /// entries of U per kernel against im2col's 9 (ResNet's last stage: 16 MB for its 512 × 512 kernels). Timed
  /// A/B, 3 against 4 (train-bench on a loaded machine): DenseNet's step 11% less CPU, GoogLeNet's 3% less,
  /// ResNet-18's within the noise (−3% and +25% in two runs). A 1×1 plane would be 16 products for 9.
  static let winogradPlane = 3

  var winogradShape: Winograd { Winograd(channels: channels, outputs: outputs, height: height, width: width) }

  /// `forward` by Winograd: each core takes its share of the images, chunk by chunk, and applies the
  /// activation and the pooling to each chunk's outputs.
  func winogradForward(
    input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    output: UnsafeMutablePointer<Float>, pooled pooledOutput: UnsafeMutablePointer<Float>?
  ) {
    let w = winogradShape
    let u = w.transformedWeights(weights, flipped: false)
    let chunk = w.imagesPerChunk(batch: batch)
    let hw = height * width
    let work = batch * patch * hw * outputs
    let parts = work >= Parallel.minimumWork ? Swift.min(Parallel.cores, batch) : 1
    BLAS.prepareSerialGemm()
    u.withUnsafeBufferPointer { u in
      Parallel.parts(parts) { part in
        let (lower, upper) = (batch * part / parts, batch * (part + 1) / parts)
        guard lower < upper else { return }
        let scratch = Winograd.Scratch([w], images: Swift.min(chunk, upper - lower))
        for first in Swift.stride(from: lower, to: upper, by: chunk) {
          let images = first..<Swift.min(first + chunk, upper)
          let at = first * outputs * hw
          w.convolve(
            images: images.count, source: input + first * channels * hw, imageStride: channels * hw,
            channelStride: hw, u: u.baseAddress!, bias: bias, target: output + at, targetImageStride: outputs * hw,
            targetChannelStride: hw, scratch: scratch)
          activation?.apply(output + at, count: images.count * outputs * hw)
          if let pooledOutput {
            AveragePool2x2.average(
              output + at, planes: images.count * outputs, height: outHeight, width: outWidth,
              into: pooledOutput + at / 4)
          }
        }
      }
    }
  }
}
