internal import Foundation

/// Sizes of a convolution, its scratch space and its three ways of computing.
///
/// Stride 1 and narrow (LeNet's: `runs`): each image is copied into a zero-padded grid (`paddedWidth` apart, a little slack
/// after it), output position p = y·paddedWidth + x, and kernel tap (c, ky, kx) reads the grid at
/// c·plane + ky·paddedWidth + kx + p, so row (c, ky, kx) of the column matrix is one contiguous run of
/// the grid. The few positions per row past `outWidth` are computed and dropped. `ConvolutionLoops` (`direct`)
/// compute the output and the weight gradient over these grids without a column matrix, and the input
/// gradient's columns `Wᵀ · dOut`, which col2im adds back along the same runs. With `Backend.openBLASOnly`,
/// im2col copies the runs and sgemm does the products.
///
/// Other strides, and wide convolutions (ResNet's): the column matrix `[C·kh·kw, n·outH·outW]` (row (c, ky, kx) holds the input under that
/// tap for every output position, 0 in the padding) and sgemm.
///
/// Wide 3×3 convolutions with stride 1 and padding 1 (`winograd`, not with `Backend.openBLASOnly`): Winograd's
/// F(2×2, 3×3), 16 sgemm products on transformed 2×2 tiles, for the forward pass and both gradients
/// (`Winograd`, `WinogradGradients`).
struct ConvGeometry {
  let batch, channels, height, width, kh, kw, outputs, stride, padding, outHeight, outWidth: Int
  let activation: FusedActivation?
  /// Whether 2×2 average pooling (stride 2) follows the activation.
  let pooled: Bool
  var patch: Int { channels * kh * kw }
  /// Whether positions are laid out on the padded grid (stride 1), and whether `ConvolutionLoops` compute on
  /// it (unless the backend is `.openBLASOnly`: then im2col copies long runs of the grid, and sgemm).
  let runs, direct: Bool
  /// Whether the forward pass and both gradients use Winograd's F(2×2, 3×3) (`Winograd`, `WinogradGradients`).
  let winograd: Bool
  /// Whose products: `BLAS.serialGemm` picks the runtime's own product or OpenBLAS by it.
  let backend: Backend
  var paddedHeight: Int { height + 2 * padding }
  var paddedWidth: Int { width + 2 * padding }
  var plane: Int { paddedHeight * paddedWidth }
  /// Columns per image: the padded grid's rows of outputs (rounded up to a kernel block), or the dense
  /// `outH × outW`.
  var span: Int {
    runs
      ? (outHeight * paddedWidth + ConvolutionLoops.block - 1) / ConvolutionLoops.block * ConvolutionLoops.block
      : outHeight * outWidth
  }
  /// Distance between output rows within an image's columns.
  var rowPitch: Int { runs ? paddedWidth : outWidth }
  /// The stretch of an image's columns that holds output positions.
  var run: Int { (outHeight - 1) * rowPitch + outWidth }
  /// Floats per padded image: its planes, then zeros for the kernels' reads past the last output.
  var paddedImage: Int { channels * plane + kw + 2 * ConvolutionLoops.block }
  /// Outputs and taps rounded up to the kernels' blocks (the extra weights are zero, the extra taps unused).
  var groupedOutputs: Int { (outputs + ConvolutionLoops.group - 1) / ConvolutionLoops.group * ConvolutionLoops.group }
  /// (The taps of the weight gradient, and the rows of the input gradient's columns.)
  var groupedPatch: Int { (patch + ConvolutionLoops.group - 1) / ConvolutionLoops.group * ConvolutionLoops.group }
  /// Size of one core's partial weight gradient.
  var weightGradientSize: Int { direct ? groupedOutputs * groupedPatch : outputs * patch }

  init(
    input: [Int], kernel: (Int, Int), outputs: Int, stride: Int, padding: Int, activation: FusedActivation? = nil,
    pooled: Bool = false,
    backend: Backend = .default
  ) {
    (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
    self.activation = activation
    self.pooled = pooled
    // The padded grid's runs suit LeNet's narrow convolutions (the own loops, or its im2col for OpenBLAS);
    // a wide one's product is sgemm's, on the dense column matrix: the grid's extra columns (a quarter of
    // them at 4×4 outputs, fifteen sixteenths at 1×1) would be multiplied for nothing.
    let narrow = outputs <= ConvGeometry.directOutputs && kernel.0 * kernel.1 * input[1] <= ConvGeometry.directPatch
    runs = stride == 1 && narrow
    // The own loops beat sgemm for LeNet's narrow convolutions (few channels and filters); wider ones
    // (ResNet's, 64 to 512 channels) are products sgemm does several times faster.
    direct = runs && backend == .ownLoops
    self.backend = backend
    (kh, kw) = kernel
    self.outputs = outputs
    self.stride = stride
    self.padding = padding
    outHeight = (height + 2 * padding - kh) / stride + 1
    outWidth = (width + 2 * padding - kw) / stride + 1
    winograd = ConvGeometry.suitsWinograd(
      kernel: kernel, stride: stride, padding: padding, height: height, width: width, runs: runs, backend: backend)
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
    // Row by row, the cores' partials added in their order (as a reduce from 0 would), in vector loops.
    var result = [Float](repeating: 0, count: outputs * patch)
    result.withUnsafeMutableBufferPointer { result in
      partials.withUnsafeBufferPointer { partials in
        let (target, source) = (result.baseAddress!, partials.baseAddress!)
        for part in 0..<Parallel.cores {
          for o in 0..<outputs {
            let (row, from) = (target + o * patch, source + part * rows * columns + o * columns)
            for t in 0..<patch { row[t] += from[t] }
          }
        }
      }
    }
    return result
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
    let sums: UnsafeMutablePointer<ConvolutionLoops.Vector>
  }

  /// The widest convolutions `ConvolutionLoops` compute (LeNet's second: 16 filters of 6·5·5 taps).
  static let directOutputs = 32
  static let directPatch = 256

  /// Images per chunk. The own loops: as many as keep a chunk's column matrix near 512 KB (a quarter of the
  /// L2 cache a core has here), at least one. sgemm: as many as make its product about 2048 columns wide
  /// (sgemm packs the whole weight matrix for every product: a narrow product, such as one 3×3 image of
  /// ResNet's last stage against its 512 × 4608 weights, spends its time packing; at 2048 columns packing is
  /// a fraction of a percent), with a column matrix (`columnRows` rows, `patch` unless the transposed input
  /// gradient needs more) of at most 14 MB, and no more than a core's share. 14 MB stays under the 16 MB
  /// above which glibc maps each allocation afresh (`Memory`): a chunk's scratch comes back from the heap
  /// instead of page-faulting in anew for every convolution (ResNet's third stage, NiN's and AlexNet's 5×5
  /// and 3×3 layers had 19 to 30 MB, and 69 MB for AlexNet's transposed 5×5).
  /// Winograd's way (both passes): its own (see `Winograd.imagesPerChunk`).
  func imagesPerChunk(columnRows: Int) -> Int {
    if winograd { return winogradShape.imagesPerChunk(batch: batch) }
    if direct { return Swift.max(1, (128 << 10) / Swift.max(1, patch * span)) }
    let wide = (2048 + span - 1) / span
    let fits =
      Earlier.uses("32mb-chunks")
      ? (8 << 20) / Swift.max(1, patch * span) : (14 << 18) / Swift.max(1, Swift.max(patch, columnRows) * span)
    let share = (batch + Parallel.cores - 1) / Parallel.cores
    return Swift.max(1, Swift.min(share, wide, fits))
  }

  var imagesPerChunk: Int { imagesPerChunk(columnRows: patch) }

  /// Calls `body(part, images, scratch)` for consecutive chunks of the batch. Each core takes one part (a
  /// contiguous share of the images, processed in order) with its own scratch; `part` indexes the
  /// caller's per-core partial sums. The products inside run on one thread each. `finish(part, scratch)`
  /// runs after a part's last chunk.
  /// `columns`: whether the chunks need column matrices (im2col, or the input gradient's product).
  /// `columnRows`, `productRows`: at least so many rows in the column matrices and the products (the
  /// transposed input gradient's).
  func forEachChunk(
    columns: Bool, columnRows: Int = 0, productRows: Int = 0, _ body: (Int, Range<Int>, Scratch) -> Void,
    finish: (Int, Scratch) -> Void = { _, _ in }
  ) {
    let chunk = imagesPerChunk(columnRows: columnRows)
    let work = batch * patch * span * Swift.max(1, outputs)
    let parts = work >= Parallel.minimumWork ? Swift.min(Parallel.cores, batch) : 1
    BLAS.prepareSerialGemm()
    Parallel.parts(parts) { part in
      let lower = batch * part / parts
      let upper = batch * (part + 1) / parts
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
        cols: buffer(columns ? Swift.max(columnRows, direct ? groupedPatch : patch) * images * span : 0),
        rows: buffer(Swift.max(productRows, groupedOutputs) * images * span),
        padded: buffer(runs ? images * paddedImage : 0, zeroed: true),
        paddedGrad: buffer(runs && padding > 0 && columns ? channels * plane : 0, zeroed: true),
        activated: buffer(activation != nil || pooled ? images * outputs * outHeight * outWidth : 0),
        sums: UnsafeMutableRawPointer(
          buffer(direct ? groupedOutputs * groupedPatch * ConvolutionLoops.lanes : 0, zeroed: true)
        )
        .assumingMemoryBound(to: ConvolutionLoops.Vector.self))
      defer {
        for pointer in buffers { pointer.deallocate() }
      }
      for first in Swift.stride(from: lower, to: upper, by: chunk) {
        body(part, first..<Swift.min(first + chunk, upper), scratch)
      }
      finish(part, scratch)
    }
  }
}
