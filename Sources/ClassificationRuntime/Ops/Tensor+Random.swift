extension Tensor {
  /// Samples from N(mean, std²) with the runtime's seedable generator (`Random.seed(_:)`).
  public convenience init(randomNormal shape: [Int], mean: Float = 0, std: Float = 1, requiresGrad: Bool = false) {
    self.init(
      shape: shape, scalars: Random.normal(count: shape.reduce(1, *), mean: mean, std: std), requiresGrad: requiresGrad)
  }

  /// Samples from N(mean, std²) with `generator`.
  convenience init(
    randomNormal shape: [Int], mean: Float = 0, std: Float = 1, requiresGrad: Bool = false,
    using generator: inout some RandomNumberGenerator
  ) {
    let scalars = Random.normal(count: shape.reduce(1, *), mean: mean, std: std, using: &generator)
    self.init(shape: shape, scalars: scalars, requiresGrad: requiresGrad)
  }

  /// Samples uniformly from [lower, upper).
  public convenience init(randomUniform shape: [Int], lower: Float = 0, upper: Float = 1, requiresGrad: Bool = false) {
    self.init(
      shape: shape, scalars: Random.uniform(count: shape.reduce(1, *), lower: lower, upper: upper),
      requiresGrad: requiresGrad)
  }

  /// Samples uniformly from [lower, upper) with `generator`.
  convenience init(
    randomUniform shape: [Int], lower: Float = 0, upper: Float = 1, requiresGrad: Bool = false,
    using generator: inout some RandomNumberGenerator
  ) {
    let scalars = Random.uniform(count: shape.reduce(1, *), lower: lower, upper: upper, using: &generator)
    self.init(shape: shape, scalars: scalars, requiresGrad: requiresGrad)
  }

  /// Zeroes each element with probability `p` and scales the rest by 1/(1−p) (inverted dropout); the mask
  /// comes from the runtime's seedable generator.
  public func dropout(_ p: Float) -> Tensor {
    dropout(p) { count, keep in Random.withGenerator { Tensor.dropoutMask(count: count, p: p, keep: keep, using: &$0) }
    }
  }

  /// `dropout` with the mask drawn from `generator`.
  func dropout(_ p: Float, using generator: inout some RandomNumberGenerator) -> Tensor {
    dropout(p) { count, keep in Tensor.dropoutMask(count: count, p: p, keep: keep, using: &generator) }
  }

  private func dropout(_ p: Float, mask: (_ count: Int, _ keep: Float) -> [Float]) -> Tensor {
    require(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    if p == 0 { return self }
    if p == 1 { return self * 0 }
    return self * Tensor(shape: shape, scalars: mask(count, 1 / (1 - p)))
  }

  private static func dropoutMask(count: Int, p: Float, keep: Float, using generator: inout some RandomNumberGenerator)
    -> [Float]
  {
    (0..<count).map { _ in generator.nextFloat() >= p ? keep : 0 }
  }
}
