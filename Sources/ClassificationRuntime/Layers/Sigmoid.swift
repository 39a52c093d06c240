public final class Sigmoid: Layer, ActivationLayer {
  public init() {}
  var fusedActivation: FusedActivation { .sigmoid }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
}
