/// Inverted dropout while training; the identity while evaluating.
public final class Dropout: Layer, TrainingModeAware {
  public let p: Float
  public var isTraining = true

  public init(_ p: Float) {
    require(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    self.p = p
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { isTraining ? x.dropout(p) : x }
}
