public final class ReLU: Layer, ActivationLayer {
  public init() {}
  var fusedActivation: FusedActivation { .relu }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}
