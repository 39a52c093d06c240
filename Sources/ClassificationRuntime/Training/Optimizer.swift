/// Updates parameters from their gradients.
open class Optimizer {
  public let parameters: [Tensor]

  public init(_ parameters: [Tensor]) { self.parameters = parameters }

  /// One update of every parameter that has a gradient.
  open func step() {}

  /// Clears the gradients before the next backward pass.
  public func zeroGrad() {
    for p in parameters { p.grad = nil }
  }
}
