@_implementationOnly import Foundation

// Elementwise operations as types. A closure passed into a parallel loop is called indirectly for every
// element and blocks vectorisation; a generic parameter is specialised, so its body inlines into the loop.

protocol UnaryOp { func callAsFunction(_ x: Float) -> Float }
protocol BinaryOp { func callAsFunction(_ a: Float, _ b: Float) -> Float }
protocol TernaryOp { func callAsFunction(_ a: Float, _ b: Float, _ c: Float) -> Float }

/// Wraps a closure for operations off the hot path.
struct ClosureOp: UnaryOp {
  let f: (Float) -> Float
  @inline(__always) func callAsFunction(_ x: Float) -> Float { f(x) }
}
struct ClosureOp2: BinaryOp {
  let f: (Float, Float) -> Float
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { f(a, b) }
}
struct ClosureOp3: TernaryOp {
  let f: (Float, Float, Float) -> Float
  @inline(__always) func callAsFunction(_ a: Float, _ b: Float, _ c: Float) -> Float { f(a, b, c) }
}

enum Ops {
  struct Add: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
  struct Subtract: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
  struct Multiply: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
  struct Divide: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
  /// d(a/b)/db = −a / b²
  struct QuotientByDivisor: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { -a / (b * b) } }
  struct Equal: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }

  struct Negate: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
  struct Scale: UnaryOp {
    let factor: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * factor }
  }
  struct Exp: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.exp(x) } }
  struct Log: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
  struct ReLU: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
  struct Sigmoid: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.sigmoid(x) } }
  struct Tanh: UnaryOp {
    // tanh x = 2σ(2x) − 1, on the vectorised exp.
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 2 * FastMath.sigmoid(2 * x) - 1 }
  }
  struct Square: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { x * x } }
  struct Sqrt: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { x.squareRoot() } }
  struct Abs: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.abs(x) } }
  struct Power: UnaryOp {
    let p: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.pow(x, p) }
  }
  struct Clamp: UnaryOp {
    let lower, upper: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { Swift.min(Swift.max(x, lower), upper) }
  }

  // Backward rules: (upstream gradient g, input x, output y) → g · dy/dx.
  struct ExpGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * y } }
  struct LogGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g / x } }
  struct ReLUGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { x > 0 ? g : 0 } }
  struct SigmoidGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * y * (1 - y) } }
  struct TanhGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * (1 - y * y) } }
  struct SquareGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { 2 * g * x } }
  struct SqrtGrad: TernaryOp { @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { 0.5 * g / y } }
  struct AbsGrad: TernaryOp {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
  }
  struct PowerGrad: TernaryOp {
    let p: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g * p * Foundation.pow(x, p - 1) }
  }
  struct ClampGrad: TernaryOp {
    let lower, upper: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { x >= lower && x <= upper ? g : 0 }
  }
}
