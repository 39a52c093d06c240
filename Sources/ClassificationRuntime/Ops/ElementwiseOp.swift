internal import Foundation

// Elementwise operations as types. A closure passed into a parallel loop is called indirectly for every
// element and blocks vectorisation; a generic parameter is specialised, so its body inlines into the loop.

protocol UnaryOp { func callAsFunction(_ x: Float) -> Float }
protocol BinaryOp { func callAsFunction(_ a: Float, _ b: Float) -> Float }
protocol TernaryOp { func callAsFunction(_ a: Float, _ b: Float, _ c: Float) -> Float }

/// A function whose derivative follows from its output (sigmoid, ReLU, tanh, exp): an operation that ends
/// with it can take its gradient without keeping its input (the activations `Sequential` fuses).
protocol OutputDifferentiable: UnaryOp {
  /// `g · f'(x)`, from the output `y = f(x)`.
  func gradient(_ g: Float, output y: Float) -> Float
}

/// `f(x, s)` and `f(s, x)` for a scalar operand.
struct RightScalar<F: BinaryOp>: UnaryOp {
  let f: F, s: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x, s) }
}
struct LeftScalar<F: BinaryOp>: UnaryOp {
  let f: F, s: Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { f(s, x) }
}
