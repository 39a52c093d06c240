/// Batch normalization (Ioffe and Szegedy), as PyTorch's `BatchNorm1d` / `BatchNorm2d`: per feature of
/// `[N, C]` input, per channel of `[N, C, H, W]` input.
///
/// `BatchNorm()` learns its size from the first batch (`LazyBatchNorm1d` / `LazyBatchNorm2d`);
/// `BatchNorm(features:)` is sized at once. While training it normalises with the batch's statistics and
/// moves the running ones towards them (`momentum`, PyTorch's 0.1); while evaluating (`Module.training` set
/// to false, as `Trainer` does for validation) it uses the running ones. `weight` (γ, ones) and `bias`
/// (β, zeros) are parameters; the running mean and variance are state, not parameters.
public final class BatchNorm: Layer, TrainingModeAware, FusingLayer {
  /// γ, `[C]`.
  public let weight: Tensor
  /// β, `[C]`.
  public let bias: Tensor
  /// The running mean of each channel (PyTorch's `running_mean`), zeros at first.
  public let runningMean: Tensor
  /// The running (unbiased) variance of each channel (PyTorch's `running_var`), ones at first.
  public let runningVar: Tensor
  /// Batches seen while training (PyTorch's `num_batches_tracked`).
  public internal(set) var numBatchesTracked = 0
  public let momentum: Float
  public let eps: Float
  public var isTraining = true

  /// Lazy: the feature count comes from the first batch.
  public init(momentum: Float = 0.1, eps: Float = 1e-5) {
    (self.momentum, self.eps) = (momentum, eps)
    weight = Tensor(shape: [0], scalars: [], requiresGrad: true)
    bias = Tensor(shape: [0], scalars: [], requiresGrad: true)
    runningMean = Tensor(shape: [0], scalars: [])
    runningVar = Tensor(shape: [0], scalars: [])
  }

  public convenience init(features: Int, momentum: Float = 0.1, eps: Float = 1e-5) {
    require(features > 0, "BatchNorm needs a positive feature count, got \(features)")
    self.init(momentum: momentum, eps: eps)
    materialize(features: features)
  }

  /// The number of features (channels); 0 before a lazy layer's first batch.
  public var features: Int { weight.count }
  public var isMaterialized: Bool { features > 0 }

  func materialize(features: Int) {
    for (tensor, value) in [(weight, Float(1)), (bias, 0), (runningMean, 0), (runningVar, 1)] {
      tensor.shape = [features]
      tensor.scalars = [Float](repeating: value, count: features)
    }
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, activation: nil) }

  /// With the activation after it, as one operation (a `Sequential`'s BatchNorm then ReLU or Sigmoid, a
  /// residual block's BatchNorm then ReLU).
  func callAsFunction(_ x: Tensor, activation: FusedActivation?) -> Tensor {
    require(x.rank == 2 || x.rank == 4, "BatchNorm expects [N, C] or [N, C, H, W], got \(x.shape)")
    if !isMaterialized { materialize(features: x.shape[1]) }
    if isTraining { numBatchesTracked += 1 }
    return x.batchNormalized(
      weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, training: isTraining,
      momentum: momentum, eps: eps, activation: activation)
  }

  /// Takes in the ReLU or Sigmoid that follows it.
  func fused(with following: ArraySlice<Layer>) -> (layer: Layer, absorbed: Int)? {
    guard let activation = following.first as? ActivationLayer else { return nil }
    return (BatchNormWithActivation(self, activation.fusedActivation), 1)
  }
}

/// A `BatchNorm` and the activation after it in a `Sequential`, run as one operation.
final class BatchNormWithActivation: Layer {
  let norm: BatchNorm
  let activation: FusedActivation
  init(_ norm: BatchNorm, _ activation: FusedActivation) { (self.norm, self.activation) = (norm, activation) }
  func callAsFunction(_ x: Tensor) -> Tensor { norm(x, activation: activation) }
}
