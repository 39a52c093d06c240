/// A layer that can take the layers after it into its own operation: `Linear` the activation after it,
/// `Conv2d` the activation and then the 2×2 average pooling after it. `Sequential` asks each of its layers
/// once, when it is built, and runs the fused layer in their place; the values are those of the layers one
/// after the other.
protocol FusingLayer: Layer {
  /// The layer with the first layers of `following` that it takes in, as one layer, and how many of them
  /// it took; nil when it takes none.
  func fused(with following: ArraySlice<Layer>) -> (layer: Layer, absorbed: Int)?
}
