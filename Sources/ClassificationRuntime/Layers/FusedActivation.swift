/// An activation that a layer applies itself, as the last step of its own operation (see `FusingLayer`):
/// that saves a pass over the layer's whole output forward and another backward, and a tensor each way.
/// The math is the activation's own (`Ops.Sigmoid`, `Ops.ReLU`), in the loops of `ElementwiseLoops`, so
/// the values are those of the two layers one after the other.
enum FusedActivation {
  case sigmoid, relu

  /// y = f(x), in place.
  func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
    switch self {
    case .sigmoid: ElementwiseLoops.map(Ops.Sigmoid(), inPlace: values, count: count)
    case .relu: ElementwiseLoops.map(Ops.ReLU(), inPlace: values, count: count)
    }
  }

  /// The gradient before the activation from the one after it and the activation's output y.
  func gradient(
    _ grad: UnsafePointer<Float>, output y: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int
  ) {
    switch self {
    case .sigmoid: ElementwiseLoops.gradient(of: Ops.Sigmoid(), grad, output: y, into: target, count: count)
    case .relu: ElementwiseLoops.gradient(of: Ops.ReLU(), grad, output: y, into: target, count: count)
    }
  }

  /// `gradient` with the incoming gradient in `values`, replaced by the outgoing one.
  func gradient(inPlace values: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
    switch self {
    case .sigmoid: ElementwiseLoops.gradient(of: Ops.Sigmoid(), inPlace: values, output: y, count: count)
    case .relu: ElementwiseLoops.gradient(of: Ops.ReLU(), inPlace: values, output: y, count: count)
    }
  }

  /// `apply` over a whole tensor's values, split across the cores when large.
  func apply(_ values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { v in
      let base = v.baseAddress!
      Parallel.chunks(v.count, work: v.count) { range in apply(base + range.lowerBound, count: range.count) }
    }
  }

  /// `gradient` over whole tensors, split across the cores when large.
  func gradient(_ grad: [Float], output y: [Float]) -> [Float] {
    switch self {
    case .sigmoid: ElementwiseLoops.gradient(of: Ops.Sigmoid(), grad, output: y)
    case .relu: ElementwiseLoops.gradient(of: Ops.ReLU(), grad, output: y)
    }
  }
}
