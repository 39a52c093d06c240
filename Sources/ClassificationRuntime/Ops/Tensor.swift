internal import Foundation

/// An n-dimensional array of `Float` (contiguous, row-major) that can record the operations on it
/// for reverse-mode differentiation.
///
/// A tensor is a reference, like PyTorch's: an optimiser updates the same parameter a layer uses.
public final class Tensor {
  /// The size of each dimension; `[]` for a scalar. Lazy layers set it once, when their input size is known.
  public internal(set) var shape: [Int]
  /// The elements in row-major order.
  public internal(set) var scalars: [Float]
  /// Whether gradients flow to this tensor (parameters, and results computed from them).
  public var requiresGrad: Bool
  /// The gradient of the last `backward()` with respect to this tensor (accumulated until `zeroGrad`).
  public var grad: Tensor?
  /// How this tensor was computed, while a backward pass may still need it.
  var node: Node?

  public init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
    require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    require(
      shape.reduce(1, *) == scalars.count,
      "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
    self.requiresGrad = requiresGrad
  }

  /// A 1-D tensor.
  public convenience init(_ values: [Float], requiresGrad: Bool = false) {
    self.init(shape: [values.count], scalars: values, requiresGrad: requiresGrad)
  }

  /// A 2-D tensor from rows of equal length.
  public convenience init(_ rows: [[Float]], requiresGrad: Bool = false) {
    let columns = rows.first?.count ?? 0
    require(rows.allSatisfy { $0.count == columns }, "rows of different lengths: \(rows.map(\.count))")
    self.init(shape: [rows.count, columns], scalars: rows.flatMap { $0 }, requiresGrad: requiresGrad)
  }

  /// A 3-D tensor from nested arrays of equal lengths.
  public convenience init(_ planes: [[[Float]]], requiresGrad: Bool = false) {
    let rows = planes.first?.count ?? 0
    let columns = planes.first?.first?.count ?? 0
    require(
      planes.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == columns } }, "ragged nested arrays")
    self.init(
      shape: [planes.count, rows, columns], scalars: planes.flatMap { $0.flatMap { $0 } }, requiresGrad: requiresGrad)
  }

  /// A tensor with one element and shape `[]`.
  public convenience init(scalar: Float, requiresGrad: Bool = false) {
    self.init(shape: [], scalars: [scalar], requiresGrad: requiresGrad)
  }

  public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
    self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  public convenience init(ones shape: [Int], requiresGrad: Bool = false) {
    self.init(shape: shape, scalars: [Float](repeating: 1, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
    self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)), requiresGrad: requiresGrad)
  }

  /// The number of elements.
  public var count: Int { scalars.count }
  public var rank: Int { shape.count }

  /// The value of a one-element tensor.
  public var item: Float {
    require(scalars.count == 1, "item needs a tensor of one element, not shape \(shape)")
    return scalars[0]
  }

  /// The same values, cut off from the graph (no gradient flows through it).
  public func detached() -> Tensor { Tensor(shape: shape, scalars: scalars) }

  deinit {
    // Release a long graph iteratively: letting each node free the nodes behind it recursively would
    // overflow the stack for a chain of 100 000 operations. Nodes that someone else still holds are left
    // to them.
    guard var first = node else { return }
    node = nil
    guard isKnownUniquelyReferenced(&first) else { return }
    var pending = [first]
    while let current = pending.popLast() {
      var inputs = current.inputNodes
      // Drop the closure first (the tensors it holds may release their own nodes), then the edges.
      current.release()
      for i in inputs.indices where inputs[i] != nil && isKnownUniquelyReferenced(&inputs[i]) {
        pending.append(inputs[i]!)
      }
    }
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String { TensorFormatter.text(self) }
}
