/// A minibatch: inputs `x` and labels `y` (class indices as a tensor).
public struct Batch {
  public var x: Tensor
  public var y: Tensor

  public init(x: Tensor, y: Tensor) {
    self.x = x
    self.y = y
  }

  /// The number of examples in the batch.
  public var count: Int { x.shape.first ?? 0 }
}
