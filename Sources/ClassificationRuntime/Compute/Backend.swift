internal import Foundation

/// Which implementation products and convolutions use: the runtime's own vector loops where they beat
/// OpenBLAS (`NarrowProduct`, `PackedProduct` on AVX-512, the direct stride-1 convolution of `ConvolutionLoops`),
/// or OpenBLAS for every product and im2col + sgemm for every convolution, to compare (bench/train.py
/// --openblas-only).
///
/// A value, passed to the operations that choose an algorithm: tests ask for the one they check, and
/// nothing global changes under a test running at the same time.
enum Backend: Sendable, Equatable {
  /// The runtime's own loops where they are faster, OpenBLAS elsewhere.
  case ownLoops
  /// OpenBLAS for every product, im2col + sgemm for every convolution.
  case openBLASOnly

  /// The process's choice, read once: `.openBLASOnly` when `CLASSIFICATION_RUNTIME_OPENBLAS_ONLY` is set.
  static let `default`: Backend = getenv("CLASSIFICATION_RUNTIME_OPENBLAS_ONLY") == nil ? .ownLoops : .openBLASOnly
}

/// Ways of computing that replaced earlier ones, which a benchmark can switch back to in the same process to
/// time both ways step by step on a busy machine (train-bench `steps` with `TRAIN_BENCH_AB`): the names listed
/// in `CLASSIFICATION_RUNTIME_EARLIER` (comma-separated), read at each use.
/// - `col2im`: a convolution's input gradient as `Wᵀ · dOut` and col2im (see `transposedInputGradient`).
/// - `scalar-pool`: max pooling one window at a time (see `MaxPoolLoops.grid`).
/// - `32mb-chunks`: convolution chunks with column matrices up to 32 MB (see `imagesPerChunk`).
/// - `relu-copy`: a convolution's ReLU gradient into a buffer of the chunk's size, then copied into the columns.
/// - `relu-bits-8`: ReLU's gradient from its bits 8 at a time, from a whole byte on (see `reluGradient`).
/// - `im2col-3x3`: 3×3 stride-1 "same" convolutions by im2col + sgemm instead of Winograd's F(2×2, 3×3)
///   (see `Winograd`, `ConvGeometry.suitsWinograd`).
/// - `conv-in-place`: a convolution's input gradient in a buffer of its own where it could go over the output's.
/// - `openblas-gemm`: OpenBLAS for every product on AVX-512 CPUs too, instead of `PackedProduct`.
enum Earlier {
  static func uses(_ name: String) -> Bool {
    guard let value = getenv("CLASSIFICATION_RUNTIME_EARLIER") else { return false }
    return String(cString: value).split(separator: ",").contains { $0 == name }
  }
}
