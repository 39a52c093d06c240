internal import Foundation

extension Tensor {
  /// A result of an operation: it records its inputs when any of them needs a gradient.
  static func result(
    shape: [Int], scalars: [Float], inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]
  ) -> Tensor {
    let output = Tensor(shape: shape, scalars: scalars)
    if GradMode.isEnabled && inputs.contains(where: \.requiresGrad) {
      output.requiresGrad = true
      output.node = Node(inputs: inputs, backward: backward)
    }
    return output
  }

  /// Computes the gradient of this tensor (a scalar, unless `gradient` is given) with respect to
  /// every tensor it was computed from that requires a gradient, adding it to their `grad`.
  ///
  /// Iterative (no recursion) over the graph of nodes, and it frees the graph as it goes, like PyTorch
  /// without `retain_graph`.
  public func backward(_ gradient: Tensor? = nil) {
    require(gradient != nil || count == 1, "backward() without a gradient needs a scalar, not shape \(shape)")
    if let gradient {
      require(gradient.shape == shape, "gradient shape \(gradient.shape) does not match tensor shape \(shape)")
    }
    let seed = gradient ?? Tensor(repeating: 1, shape: shape)
    guard let root = node else {
      // A leaf: its own gradient.
      if requiresGrad { Tensor.accumulate(seed, into: self) }
      return
    }
    // Topological order by an explicit-stack depth-first search over the nodes.
    var order: [Node] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Node, Bool)] = [(root, false)]
    while let (current, expanded) = stack.popLast() {
      if expanded {
        order.append(current)
        continue
      }
      guard visited.insert(ObjectIdentifier(current)).inserted else { continue }
      stack.append((current, true))
      for case let input? in current.inputNodes where !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
    withoutGrad {
      for current in order.reversed() {
        guard var outputGrad = grads.removeValue(forKey: ObjectIdentifier(current)) else { continue }
        let inputGrads: [Tensor?]
        if let inPlace = current.backwardInPlace, isKnownUniquelyReferenced(&outputGrad) {
          inputGrads = inPlace(outputGrad)
        } else {
          inputGrads = current.backward?(outputGrad) ?? []
        }
        for (i, inputGrad) in inputGrads.enumerated() where i < current.inputShapes.count {
          guard let inputGrad else { continue }
          if let input = current.inputNodes[i] {
            require(
              inputGrad.shape == current.inputShapes[i],
              "internal: gradient shape \(inputGrad.shape) for input of shape \(current.inputShapes[i])")
            let key = ObjectIdentifier(input)
            if let existing = grads[key] {
              grads[key] = Tensor(
                shape: existing.shape, scalars: ElementwiseLoops.add(existing.scalars, inputGrad.scalars))
            } else {
              grads[key] = inputGrad
            }
          } else if let leaf = current.leaves[i] {
            require(
              inputGrad.shape == leaf.shape,
              "internal: gradient shape \(inputGrad.shape) for input of shape \(leaf.shape)")
            Tensor.accumulate(inputGrad, into: leaf)
          }
        }
        current.release()
      }
    }
    node = nil
  }

  /// Adds a gradient to a leaf's `grad`.
  static func accumulate(_ gradient: Tensor, into leaf: Tensor) {
    if let existing = leaf.grad {
      leaf.grad = Tensor(shape: existing.shape, scalars: ElementwiseLoops.add(existing.scalars, gradient.scalars))
    } else {
      leaf.grad = gradient
    }
  }

  /// Clears the accumulated gradient.
  public func zeroGrad() { grad = nil }
}
