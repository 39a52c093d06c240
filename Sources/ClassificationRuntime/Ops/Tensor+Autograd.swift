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
  /// Iterative (no recursion), and it frees the graph as it goes, like PyTorch without `retain_graph`.
  public func backward(_ gradient: Tensor? = nil) {
    require(gradient != nil || count == 1, "backward() without a gradient needs a scalar, not shape \(shape)")
    if let gradient {
      require(gradient.shape == shape, "gradient shape \(gradient.shape) does not match tensor shape \(shape)")
    }
    // Topological order by an explicit-stack depth-first search.
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(self, false)]
    while let (tensor, expanded) = stack.popLast() {
      if expanded {
        order.append(tensor)
        continue
      }
      guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
      stack.append((tensor, true))
      for input in tensor.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
        stack.append((input, false))
      }
    }
    var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): gradient ?? Tensor(repeating: 1, shape: shape)]
    withoutGrad {
      for tensor in order.reversed() {
        let id = ObjectIdentifier(tensor)
        guard let outputGrad = grads.removeValue(forKey: id) else { continue }
        guard let node = tensor.node else {
          // A leaf: keep its gradient.
          if let existing = tensor.grad {
            tensor.grad = Tensor(
              shape: existing.shape, scalars: ElementwiseLoops.add(existing.scalars, outputGrad.scalars))
          } else {
            tensor.grad = outputGrad
          }
          continue
        }
        let inputGrads = node.backward?(outputGrad) ?? []
        for (input, inputGrad) in zip(node.inputs, inputGrads) {
          guard let inputGrad, input.requiresGrad else { continue }
          require(
            inputGrad.shape == input.shape,
            "internal: gradient shape \(inputGrad.shape) for input of shape \(input.shape)")
          let key = ObjectIdentifier(input)
          if let existing = grads[key] {
            grads[key] = Tensor(shape: input.shape, scalars: ElementwiseLoops.add(existing.scalars, inputGrad.scalars))
          } else {
            grads[key] = inputGrad
          }
        }
        tensor.node = nil
      }
    }
  }

  /// Clears the accumulated gradient.
  public func zeroGrad() { grad = nil }
}
