internal import Foundation

enum Ops {
  struct Add: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b } }
  struct Subtract: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b } }
  struct Multiply: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b } }
  struct Divide: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b } }
  /// d(a/b)/db = −a / b²
  struct QuotientByDivisor: BinaryOp {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { -a / (b * b) }
  }
  struct Equal: BinaryOp { @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a == b ? 1 : 0 } }

  struct Negate: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { -x } }
  struct Scale: UnaryOp {
    let factor: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * factor }
  }
  struct Exp: OutputDifferentiable {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) func gradient(_ g: Float, output y: Float) -> Float { g * y }
  }
  struct Log: UnaryOp { @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.log(x) } }
  struct ReLU: OutputDifferentiable {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 }
    /// The output is positive exactly where the input is.
    @inline(__always) func gradient(_ g: Float, output y: Float) -> Float { y > 0 ? g : 0 }
  }
  struct Sigmoid: OutputDifferentiable {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { FastMath.sigmoid(x) }
    @inline(__always) func gradient(_ g: Float, output y: Float) -> Float { g * y * (1 - y) }
  }
  struct Tanh: OutputDifferentiable {
    // tanh x = 2σ(2x) − 1, on the vectorised exp.
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 2 * FastMath.sigmoid(2 * x) - 1 }
    @inline(__always) func gradient(_ g: Float, output y: Float) -> Float { g * (1 - y * y) }
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
  /// The backward rule of a function whose derivative comes from its output.
  struct OutputGradient<F: OutputDifferentiable>: TernaryOp {
    let f: F
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { f.gradient(g, output: y) }
  }
  struct LogGrad: TernaryOp {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { g / x }
  }
  struct SquareGrad: TernaryOp {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { 2 * g * x }
  }
  struct SqrtGrad: TernaryOp {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { 0.5 * g / y }
  }
  struct AbsGrad: TernaryOp {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float { x > 0 ? g : (x < 0 ? -g : 0) }
  }
  struct PowerGrad: TernaryOp {
    let p: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float {
      g * p * Foundation.pow(x, p - 1)
    }
  }
  struct ClampGrad: TernaryOp {
    let lower, upper: Float
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float, _ y: Float) -> Float {
      x >= lower && x <= upper ? g : 0
    }
  }
}
