public final class Tanh: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}
