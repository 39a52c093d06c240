extension Tensor {
  /// Joins tensors along `axis` (their other dimensions must match), as `torch.cat(tensors, dim=axis)`:
  /// GoogLeNet's Inception and DenseNet join their branches along the channels (`alongAxis: 1`).
  /// The gradient is cut back into each input's part.
  public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
    require(!tensors.isEmpty, "concatenated needs at least one tensor")
    let first = tensors[0].shape
    let axis = axis < 0 ? axis + first.count : axis
    require(axis >= 0 && axis < first.count, "axis \(axis) is out of range for shape \(first)")
    for t in tensors {
      require(
        t.rank == first.count && (0..<first.count).allSatisfy { $0 == axis || t.shape[$0] == first[$0] },
        "concatenated along axis \(axis) needs shapes that match elsewhere, got \(tensors.map(\.shape))")
    }
    // Each input is `outer` blocks of `inner(t)` contiguous floats; the output's blocks are theirs, in turn.
    let outer = first[..<axis].reduce(1, *)
    let inners = tensors.map { $0.count / Swift.max(outer, 1) }
    let row = inners.reduce(0, +)
    var shape = first
    shape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
    let total = outer * row
    let out = [Float](unsafeUninitializedCapacity: total) { out, written in
      var offset = 0
      for (t, inner) in zip(tensors, inners) {
        t.scalars.withUnsafeBufferPointer { x in
          let (x, y, at) = (x.baseAddress, out.baseAddress!, offset)
          guard let x, inner > 0 else { return }
          Parallel.chunks(outer, work: outer * inner) { blocks in
            for b in blocks { (y + b * row + at).update(from: x + b * inner, count: inner) }
          }
        }
        offset += inner
      }
      written = total
    }
    // The gradient needs only the inputs' shapes: the branches are not kept for it.
    let parts = tensors.map { (shape: $0.shape, wants: $0.requiresGrad) }
    return result(shape: shape, scalars: out, inputs: tensors) { grad in
      var offset = 0
      return zip(parts, inners).map { part, inner in
        defer { offset += inner }
        guard part.wants else { return nil }
        return Tensor(
          shape: part.shape, scalars: Tensor.gatherBlocks(grad.scalars, outer: outer, row: row, at: offset, inner: inner))
      }
    }
  }

  /// The part `range` of this tensor along `axis` (`x[:, 2:5]` for axis 1), with its gradient.
  public func sliced(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
    let axis = axis < 0 ? axis + rank : axis
    require(axis >= 0 && axis < rank, "axis \(axis) is out of range for shape \(shape)")
    require(
      range.lowerBound >= 0 && range.upperBound <= shape[axis],
      "slice \(range) is out of range for dimension \(axis) of shape \(shape)")
    let outer = shape[..<axis].reduce(1, *)
    let after = shape[(axis + 1)...].reduce(1, *)
    let (row, inner, at) = (shape[axis] * after, range.count * after, range.lowerBound * after)
    var newShape = shape
    newShape[axis] = range.count
    let original = shape
    return Tensor.result(
      shape: newShape, scalars: Tensor.gatherBlocks(scalars, outer: outer, row: row, at: at, inner: inner),
      inputs: [self]
    ) { grad in
      var dx = [Float](repeating: 0, count: outer * row)
      grad.scalars.withUnsafeBufferPointer { g in
        dx.withUnsafeMutableBufferPointer { dx in
          guard let g = g.baseAddress, let d = dx.baseAddress else { return }
          for b in 0..<outer { (d + b * row + at).update(from: g + b * inner, count: inner) }
        }
      }
      return [Tensor(shape: original, scalars: dx)]
    }
  }

  /// From `outer` rows of `row` floats, the `inner` floats at `at` of each row, one after another.
  static func gatherBlocks(_ x: [Float], outer: Int, row: Int, at: Int, inner: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: outer * inner) { out, written in
      x.withUnsafeBufferPointer { x in
        let (x, y) = (x.baseAddress, out.baseAddress)
        if let x, let y, inner > 0 {
          Parallel.chunks(outer, work: outer * inner) { blocks in
            for b in blocks { (y + b * inner).update(from: x + b * row + at, count: inner) }
          }
        }
      }
      written = outer * inner
    }
  }
}
