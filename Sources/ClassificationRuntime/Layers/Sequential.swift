/// Layers applied one after another, as PyTorch's `nn.Sequential`.
///
/// Each layer has a name, its index unless given (`Sequential(named:)`, `add(_:name:)`, as PyTorch's
/// `add_module`): the names of a state dict's tensors (`net.b2.0.conv1.weight`) are made of them.
///
/// Each `FusingLayer` takes in the layers after it that it can (a `Conv2d` or `Linear` the `Sigmoid` or
/// `ReLU` after it, a `Conv2d` and its activation the 2×2 average pooling with stride 2 after them), and
/// the fused layer runs in their place, with the same values.
public final class Sequential: Layer {
  public private(set) var layers: [Layer]
  /// The name of each layer: its index, or the name it was given.
  public private(set) var names: [String]
  /// What runs: `layers`, with the fused ones in place of the layers they took in.
  private(set) var stages: [Layer]

  public init(_ layers: Layer...) {
    self.layers = layers
    names = layers.indices.map(String.init)
    stages = Self.fuse(layers)
  }

  public init(_ layers: [Layer]) {
    self.layers = layers
    names = layers.indices.map(String.init)
    stages = Self.fuse(layers)
  }

  /// Layers with names, as `nn.Sequential(OrderedDict(...))`.
  public init(named layers: [(String, Layer)]) {
    let names = layers.map(\.0)
    require(Set(names).count == names.count, "Sequential's layer names must differ, got \(names)")
    self.layers = layers.map(\.1)
    self.names = names
    stages = Self.fuse(self.layers)
  }

  /// Appends a layer, named `name` or by its index (PyTorch's `add_module`).
  public func add(_ layer: Layer, name: String? = nil) {
    let name = name ?? String(layers.count)
    require(!names.contains(name), "Sequential already has a layer named \(name)")
    layers.append(layer)
    names.append(name)
    stages = Self.fuse(layers)
  }

  /// The layer named `name`.
  public subscript(name: String) -> Layer? { names.firstIndex(of: name).map { layers[$0] } }

  public subscript(index: Int) -> Layer { layers[index] }

  public var count: Int { layers.count }

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
