/// Updates parameters from their gradients.
open class Optimizer {
  public let parameters: [Tensor]

  public init(_ parameters: [Tensor]) { self.parameters = parameters }

  /// One update of every parameter that has a gradient.
  open func step() {}

  /// What a checkpoint keeps of the optimiser, named as PyTorch's `optimizer.state_dict()`: buffers by
  /// parameter index (`0.momentum_buffer`, `3.exp_avg`), and counters (`step`).
  func checkpointState() -> OptimizerState { OptimizerState() }

  /// Takes back what `checkpointState()` gave (already checked against the parameters' sizes).
  func restore(_ state: OptimizerState) {}

  /// Clears the gradients before the next backward pass.
  public func zeroGrad() {
    for p in parameters { p.grad = nil }
  }
}

/// An optimiser's state in a checkpoint.
struct OptimizerState: Equatable {
  /// `"<parameter index>.<buffer>"` → values, one per element of the parameter.
  var buffers: [String: [Float]] = [:]
  var counters: [String: Int] = [:]
}
