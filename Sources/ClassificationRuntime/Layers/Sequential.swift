/// Layers applied one after another.
///
/// Built once: each `FusingLayer` takes in the layers after it that it can (a `Conv2d` or `Linear` the
/// `Sigmoid` or `ReLU` after it, a `Conv2d` and its activation the 2×2 average pooling with stride 2 after
/// them), and the fused layer runs in their place, with the same values.
public final class Sequential: Layer {
  public let layers: [Layer]
  /// What runs: `layers`, with the fused ones in place of the layers they took in.
  let stages: [Layer]

  public init(_ layers: Layer...) {
    self.layers = layers
    stages = Self.fuse(layers)
  }

  public init(_ layers: [Layer]) {
    self.layers = layers
    stages = Self.fuse(layers)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    var x = x
    for stage in stages { x = stage(x) }
    return x
  }

  static func fuse(_ layers: [Layer]) -> [Layer] {
    var (stages, i) = ([Layer](), 0)
    while i < layers.count {
      if let fusing = layers[i] as? FusingLayer, let fusion = fusing.fused(with: layers[(i + 1)...]) {
        stages.append(fusion.layer)
        i += 1 + fusion.absorbed
      } else {
        stages.append(layers[i])
        i += 1
      }
    }
    return stages
  }
}
