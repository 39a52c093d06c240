/// A `Linear` layer and the activation after it as one operation (`Linear`'s fusion).
final class LinearWithActivation: Layer {
  let linear: Linear
  let activation: FusedActivation

  init(_ linear: Linear, _ activation: FusedActivation) { (self.linear, self.activation) = (linear, activation) }

  func callAsFunction(_ x: Tensor) -> Tensor { linear(x, activation: activation) }
}
