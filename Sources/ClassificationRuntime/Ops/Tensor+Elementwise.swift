internal import Foundation

extension Tensor {
  /// A binary operation with broadcasting; `da`/`db` give the local derivatives at each output element.
  @inline(__always)
  static func binary<F: BinaryOp>(
    _ a: Tensor, _ b: Tensor, _ f: F,
    backward: @escaping (_ grad: Tensor, _ a: Tensor, _ b: Tensor, _ outShape: [Int]) -> (Tensor?, Tensor?)
  ) -> Tensor {
    let (shape, scalars) = Broadcast.apply(a, b, f)
    return result(shape: shape, scalars: scalars, inputs: [a, b]) { grad in
      let (ga, gb) = backward(grad, a, b, shape)
      return [
        a.requiresGrad ? ga.map { Broadcast.reduce($0, to: a.shape) } : nil,
        b.requiresGrad ? gb.map { Broadcast.reduce($0, to: b.shape) } : nil,
      ]
    }
  }

  /// `a ± b` with broadcasting: the gradient needs only the shapes, so neither operand is kept for it
  /// (a residual block's branches are freed once summed).
  @inline(__always)
  static func additive<F: BinaryOp>(_ a: Tensor, _ b: Tensor, _ f: F, negatingB: Bool) -> Tensor {
    let (shape, scalars) = Broadcast.apply(a, b, f)
    let (aShape, bShape, aWants, bWants) = (a.shape, b.shape, a.requiresGrad, b.requiresGrad)
    return result(shape: shape, scalars: scalars, inputs: [a, b]) { g in
      let gb = negatingB && bWants ? Tensor(shape: g.shape, scalars: ElementwiseLoops.map(g.scalars, Ops.Negate())) : g
      return [aWants ? Broadcast.reduce(g, to: aShape) : nil, bWants ? Broadcast.reduce(gb, to: bShape) : nil]
    }
  }

  public static func + (a: Tensor, b: Tensor) -> Tensor { additive(a, b, Ops.Add(), negatingB: false) }

  public static func - (a: Tensor, b: Tensor) -> Tensor { additive(a, b, Ops.Subtract(), negatingB: true) }

  public static func * (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, Ops.Multiply()) { g, a, b, shape in
      (
        a.requiresGrad ? Tensor(shape: shape, scalars: Broadcast.apply(g, b, Ops.Multiply()).scalars) : nil,
        b.requiresGrad ? Tensor(shape: shape, scalars: Broadcast.apply(g, a, Ops.Multiply()).scalars) : nil
      )
    }
  }

  public static func / (a: Tensor, b: Tensor) -> Tensor {
    binary(a, b, Ops.Divide()) { g, a, b, shape in
      let ga = a.requiresGrad ? Tensor(shape: shape, scalars: Broadcast.apply(g, b, Ops.Divide()).scalars) : nil
      var gb: Tensor?
      if b.requiresGrad {
        // d(a/b)/db = -a / b²
        let ab = Broadcast.apply(a, b, Ops.QuotientByDivisor()).scalars
        gb = Tensor(shape: shape, scalars: ElementwiseLoops.zip(g.scalars, ab, Ops.Multiply()))
      }
      return (ga, gb)
    }
  }

  public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(scalar: s) }
  public static func + (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) + a }
  public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(scalar: s) }
  public static func - (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) - a }
  public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(scalar: s) }
  public static func * (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) * a }
  public static func / (a: Tensor, s: Float) -> Tensor { a / Tensor(scalar: s) }
  public static func / (s: Float, a: Tensor) -> Tensor { Tensor(scalar: s) / a }

  public static prefix func - (a: Tensor) -> Tensor { a * -1 }

  public static func += (a: inout Tensor, b: Tensor) { a = a + b }
  public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
  public static func *= (a: inout Tensor, b: Tensor) { a = a * b }
  public static func /= (a: inout Tensor, b: Tensor) { a = a / b }

  /// A unary operation with its backward rule `derivative(g, x, y)` = g · dy/dx at input x, output y.
  @inline(__always)
  func unary<F: UnaryOp, D: TernaryOp>(_ f: F, derivative: D) -> Tensor {
    let output = ElementwiseLoops.map(scalars, f)
    return Tensor.result(shape: shape, scalars: output, inputs: [self]) { [output] grad in
      [Tensor(shape: grad.shape, scalars: ElementwiseLoops.zip3(grad.scalars, self.scalars, output, derivative))]
    }
  }

  /// A unary operation whose derivative comes from its output: only the output is kept for the backward
  /// pass (ReLU's input, a batch normalization's output, is freed once ReLU has read it).
  /// When the backward pass holds the only reference to the incoming gradient, the outgoing one is written
  /// over it (`Node.backwardInPlace`): no second buffer of the activation's size at the peak.
  @inline(__always)
  func unary<F: OutputDifferentiable>(_ f: F) -> Tensor {
    let output = ElementwiseLoops.map(scalars, f)
    let result = Tensor.result(shape: shape, scalars: output, inputs: [self]) { [output] grad in
      [Tensor(shape: grad.shape, scalars: ElementwiseLoops.gradient(of: f, grad.scalars, output: output))]
    }
    result.node?.backwardInPlace = { [output] grad in
      ElementwiseLoops.gradient(of: f, inPlace: &grad.scalars, output: output)
      return [grad]
    }
    return result
  }

  public func exp() -> Tensor { unary(Ops.Exp()) }
  public func log() -> Tensor { unary(Ops.Log(), derivative: Ops.LogGrad()) }
  public func relu() -> Tensor { unary(Ops.ReLU()) }
  public func sigmoid() -> Tensor { unary(Ops.Sigmoid()) }
  public func tanh() -> Tensor { unary(Ops.Tanh()) }
  public func squared() -> Tensor { unary(Ops.Square(), derivative: Ops.SquareGrad()) }
  public func sqrt() -> Tensor { unary(Ops.Sqrt(), derivative: Ops.SqrtGrad()) }
  public func abs() -> Tensor { unary(Ops.Abs(), derivative: Ops.AbsGrad()) }
  public func pow(_ p: Float) -> Tensor { unary(Ops.Power(p: p), derivative: Ops.PowerGrad(p: p)) }
  /// Values below `lower` or above `upper` are replaced by the bound (the gradient is 0 there).
  public func clamped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
    unary(Ops.Clamp(lower: lower, upper: upper), derivative: Ops.ClampGrad(lower: lower, upper: upper))
  }

  /// Elementwise comparison as 0/1 values (not differentiable).
  public func equals(_ other: Tensor) -> Tensor {
    let (shape, scalars) = Broadcast.apply(self, other, Ops.Equal())
    return Tensor(shape: shape, scalars: scalars)
  }
}
