/// `[N, …]` → `[N, rest]`.
public final class Flatten: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.flattened() }
}
