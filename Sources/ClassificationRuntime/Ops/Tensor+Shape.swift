internal import Foundation

extension Tensor {
  /// The same elements in another shape; one dimension may be -1 (inferred).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var target = newShape
    if let unknown = target.firstIndex(of: -1) {
      let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
      require(known > 0 && count % known == 0, "cannot reshape \(shape) into \(newShape)")
      target[unknown] = count / known
    }
    require(target.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) into \(newShape)")
    let original = shape
    return Tensor.result(shape: target, scalars: scalars, inputs: [self]) { grad in
      [Tensor(shape: original, scalars: grad.scalars)]
    }
  }

  /// Rows become columns (a 2-D tensor; a 1-D one is returned as is).
  public func transposed() -> Tensor {
    guard rank == 2 else {
      require(rank <= 1, "transposed() needs a 2-D tensor, not shape \(shape); use permuted(_:)")
      return self
    }
    let (r, c) = (shape[0], shape[1])
    return Tensor.result(shape: [c, r], scalars: Tensor.transpose(scalars, rows: r, columns: c), inputs: [self]) {
      grad in
      [Tensor(shape: [r, c], scalars: Tensor.transpose(grad.scalars, rows: c, columns: r))]
    }
  }

  static func transpose(_ x: [Float], rows: Int, columns: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { o, n in
      x.withUnsafeBufferPointer { x in
        // Blocks keep both sides in cache.
        let block = 32
        for i0 in stride(from: 0, to: rows, by: block) {
          for j0 in stride(from: 0, to: columns, by: block) {
            for i in i0..<Swift.min(i0 + block, rows) {
              for j in j0..<Swift.min(j0 + block, columns) { o[j * rows + i] = x[i * columns + j] }
            }
          }
        }
      }
      n = x.count
    }
  }

  /// Reorders the dimensions: `permuted([0, 2, 1])` swaps the last two.
  public func permuted(_ order: [Int]) -> Tensor {
    require(order.sorted() == Array(0..<rank), "permutation \(order) does not fit shape \(shape)")
    let newShape = order.map { shape[$0] }
    let forward = Tensor.permute(scalars, shape: shape, order: order)
    var inverse = [Int](repeating: 0, count: rank)
    for (i, o) in order.enumerated() { inverse[o] = i }
    return Tensor.result(shape: newShape, scalars: forward, inputs: [self]) { grad in
      [Tensor(shape: self.shape, scalars: Tensor.permute(grad.scalars, shape: newShape, order: inverse))]
    }
  }

  static func permute(_ x: [Float], shape: [Int], order: [Int]) -> [Float] {
    let rank = shape.count
    var strides = [Int](repeating: 1, count: rank)
    for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
    let outShape = order.map { shape[$0] }
    let outStrides = order.map { strides[$0] }
    var out = [Float](repeating: 0, count: x.count)
    var walk = StridedWalk(shape: outShape, strides: outStrides)
    for p in 0..<x.count {
      out[p] = x[walk.a]
      walk.advance(through: rank - 1)
    }
    return out
  }

  /// The slice at `index` along the first dimension.
  public subscript(index: Int) -> Tensor {
    self[index..<(index + 1)].reshaped(Array(shape.dropFirst()))
  }

  /// Rows `range` along the first dimension.
  public subscript(range: Range<Int>) -> Tensor {
    require(
      rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
      "rows \(range) are out of range for shape \(shape)")
    let row = shape.dropFirst().reduce(1, *)
    let slice = Array(scalars[(range.lowerBound * row)..<(range.upperBound * row)])
    var newShape = shape
    newShape[0] = range.count
    let original = shape
    return Tensor.result(shape: newShape, scalars: slice, inputs: [self]) { grad in
      var g = [Float](repeating: 0, count: original.reduce(1, *))
      for i in 0..<grad.count { g[range.lowerBound * row + i] = grad.scalars[i] }
      return [Tensor(shape: original, scalars: g)]
    }
  }

  /// For a `[N, C]` tensor and `N` class indices, the `N` values `self[i, indices[i]]`.
  public func gathering(classes indices: Tensor) -> Tensor {
    require(
      rank == 2 && indices.count == shape[0],
      "gathering(classes:) needs [N, C] and N indices, got \(shape) and \(indices.shape)")
    let (n, c) = (shape[0], shape[1])
    let picks = indices.scalars.map { Int($0) }
    require(picks.allSatisfy { $0 >= 0 && $0 < c }, "class index out of range 0..<\(c)")
    let values = (0..<n).map { scalars[$0 * c + picks[$0]] }
    return Tensor.result(shape: [n], scalars: values, inputs: [self]) { grad in
      var g = [Float](repeating: 0, count: n * c)
      for i in 0..<n { g[i * c + picks[i]] = grad.scalars[i] }
      return [Tensor(shape: [n, c], scalars: g)]
    }
  }

  /// `[N, …]` as `[N, rest]`.
  public func flattened() -> Tensor { reshaped([shape.first ?? 1, -1]) }

  /// Joins tensors along the first dimension.
  public static func concatenating(_ tensors: [Tensor]) -> Tensor {
    require(
      !tensors.isEmpty && tensors.allSatisfy { Array($0.shape.dropFirst()) == Array(tensors[0].shape.dropFirst()) },
      "concatenating needs tensors whose shapes match after the first dimension: \(tensors.map(\.shape))")
    var shape = tensors[0].shape
    shape[0] = tensors.map { $0.shape[0] }.reduce(0, +)
    let counts = tensors.map(\.count)
    return result(shape: shape, scalars: tensors.flatMap(\.scalars), inputs: tensors) { grad in
      var offset = 0
      return tensors.enumerated().map { i, t in
        defer { offset += counts[i] }
        return Tensor(shape: t.shape, scalars: Array(grad.scalars[offset..<(offset + counts[i])]))
      }
    }
  }
}
