/// A fully connected layer `x · W + b`; `Linear(outputs:)` learns its input size from the first batch.
public final class Linear: Layer, FusingLayer {
  /// `[inputs, outputs]` (empty until the first batch for a lazy layer).
  public let weight: Tensor
  public let bias: Tensor
  public let outputs: Int
  /// How its products are computed (`Backend.default` unless a test asks for another).
  var backend = Backend.default

  /// Lazy, like PyTorch's `LazyLinear`: the input size comes from the first batch.
  public init(outputs: Int) {
    self.outputs = outputs
    weight = Tensor(shape: [0, outputs], scalars: [], requiresGrad: true)
    bias = Tensor(zeros: [outputs], requiresGrad: true)
  }

  public convenience init(inputs: Int, outputs: Int) {
    self.init(outputs: outputs)
    materialize(inputs: inputs)
  }

  public var isMaterialized: Bool { weight.count > 0 || weight.shape[0] > 0 }

  /// PyTorch's default: U(−1/√inputs, 1/√inputs) for weight and bias.
  func materialize(inputs: Int) {
    let bound = 1 / Float(inputs).squareRoot()
    weight.shape = [inputs, outputs]
    weight.scalars = Random.uniform(count: inputs * outputs, lower: -bound, upper: bound)
    bias.scalars = Random.uniform(count: outputs, lower: -bound, upper: bound)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, activation: nil) }

  /// With the activation after it (`LinearWithActivation`).
  func fused(with following: ArraySlice<Layer>) -> (layer: Layer, absorbed: Int)? {
    guard let activation = following.first as? ActivationLayer else { return nil }
    return (LinearWithActivation(self, activation.fusedActivation), 1)
  }

  /// The layer with the activation that follows it in a `Sequential`, as one operation.
  func callAsFunction(_ x: Tensor, activation: FusedActivation?) -> Tensor {
    let x = x.rank == 2 ? x : x.reshaped([x.shape[0], -1])
    if !isMaterialized { materialize(inputs: x.shape[1]) }
    require(
      x.shape[1] == weight.shape[0], "Linear expects \(weight.shape[0]) inputs, got a batch of shape \(x.shape)")
    return x.affine(weight, bias, activation: activation, backend: backend)
  }
}
