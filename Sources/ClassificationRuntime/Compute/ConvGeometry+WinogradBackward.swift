/// The backward pass of a convolution on Winograd's way (`ConvGeometry.winograd`), chunk by chunk inside
/// `ConvGeometry.backward`'s chunks, from the chunk's output gradient in the column layout (`[O, n·H·W]`):
/// - the input gradient: the output gradient convolved with the flipped, transposed weights (`dual`);
/// - the weight gradient in the Winograd domain: dU[ξ] += V[ξ]ᵀ · dM[ξ] (`[C, tiles] · [tiles, O]`) with V the
///   input's tiles (as the forward pass computes them) and dM the products' gradient (the output gradient's
///   tiles, `transformOutputGradient`), and at the end Gᵀ dU G per (o, c). 16 products of C·O·tiles
///   multiply-adds instead of one of 9·C·O·positions, and no column matrix.
final class WinogradGradients {
  /// This convolution, and the one whose output is its input gradient (the output gradient's O channels in).
  let forward, dual: Winograd
  let flippedU: [Float]
  let wantInput, wantWeight: Bool
  /// Per core: the buffers both ways share (made at the core's first chunk, the largest; the output
  /// gradient's grid first, the input's second), and dU `[16, C, paddedOutputs]`. (Pointers: each core writes
  /// its own entries, at the same time.)
  private let scratch: UnsafeMutablePointer<Winograd.Scratch?>
  private let du: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>

  init(_ g: ConvGeometry, weights: UnsafePointer<Float>, wantInput: Bool, wantWeight: Bool) {
    forward = g.winogradShape
    dual = Winograd(channels: g.outputs, outputs: g.channels, height: g.height, width: g.width)
    flippedU = wantInput ? dual.transformedWeights(weights, flipped: true) : []
    (self.wantInput, self.wantWeight) = (wantInput, wantWeight)
    scratch = .allocate(capacity: Parallel.cores)
    scratch.initialize(repeating: nil, count: Parallel.cores)
    du = .allocate(capacity: Parallel.cores)
    du.initialize(repeating: nil, count: Parallel.cores)
  }

  deinit {
    scratch.deinitialize(count: Parallel.cores)
    scratch.deallocate()
    for part in 0..<Parallel.cores { du[part]?.deallocate() }
    du.deallocate()
  }

  /// The chunk `images`'s gradients: the output gradient's plane (j, o) at `outGrad + o·columns + j·H·W`,
  /// the input `[N, C, H, W]`, the input gradient (the whole batch's) written for these images. Each core
  /// passes its own `part` (its buffers are touched by it alone).
  func chunk(
    part: Int, images: Range<Int>, outGrad: UnsafePointer<Float>, columns: Int, input: UnsafePointer<Float>,
    inputGrad: UnsafeMutablePointer<Float>?
  ) {
    let (n, hw) = (images.count, forward.height * forward.width)
    let ds = scratch[part] ?? Winograd.Scratch([dual, forward], images: n, secondGrid: wantWeight)
    scratch[part] = ds
    // The output gradient, channel-last: the input of the dual convolution, and dM's source.
    dual.fillGrid(images: n, source: outGrad, imageStride: hw, channelStride: columns, grid: ds.grid)
    if let inputGrad, wantInput {
      flippedU.withUnsafeBufferPointer { u in
        dual.convolveGrid(
          images: n, u: u.baseAddress!, bias: nil, target: inputGrad + images.lowerBound * forward.channels * hw,
          targetImageStride: forward.channels * hw, targetChannelStride: hw, scratch: ds)
      }
    }
    guard wantWeight else { return }
    let size = 16 * forward.channels * forward.paddedOutputs
    if self.du[part] == nil {
      self.du[part] = .allocate(capacity: size)
      self.du[part]!.initialize(repeating: 0, count: size)
    }
    let du = self.du[part]!
    forward.fillGrid(
      images: n, source: input + images.lowerBound * forward.channels * hw, imageStride: forward.channels * hw,
      channelStride: hw, grid: ds.secondGrid)
    forward.transformInput(images: n, grid: ds.secondGrid, into: ds.transformed)
    dual.transformOutputGradient(images: n, grid: ds.grid, into: ds.products)
    let tiles = n * forward.tilesPerImage
    let (pc, po, c) = (forward.paddedChannels, forward.paddedOutputs, forward.channels)
    for xi in 0..<16 {
      // [C, tiles] · [tiles, O], added up over the chunks.
      BLAS.serialGemm(
        transposeA: true, transposeB: false, m: c, n: forward.outputs, k: tiles, a: ds.transformed + xi * tiles * pc,
        lda: pc, b: ds.products + xi * tiles * po, ldb: po, beta: 1, c: du + xi * c * po, ldc: po,
        backend: .ownLoops)  // (Winograd's way is taken only on `.ownLoops`.)
    }
  }

  /// Adds core `part`'s weight gradient `[O, C, 3, 3]` into `target`.
  func finish(part: Int, into target: UnsafeMutablePointer<Float>) {
    guard wantWeight, let du = du[part] else { return }
    forward.addWeightGradient(du, into: target)
  }
}
