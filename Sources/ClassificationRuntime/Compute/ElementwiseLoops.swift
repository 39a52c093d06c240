internal import Foundation

/// Tight loops of elementwise operations (`Ops`) over `Float` buffers: no per-element allocation, no
/// bounds checks in the hot loops. The whole-array ones split large arrays across the cores.
enum ElementwiseLoops {
  /// `y[i] = f(x[i])` for `i < count`.
  @inline(__always)
  static func map<F: UnaryOp>(_ f: F, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] = f(x[i]) }
  }

  /// `values[i] = f(values[i])`. (With one pointer the loop is vectorised; the same pointer passed twice to
  /// `map` fails the compiler's overlap check and runs one value at a time.)
  @inline(__always)
  static func map<F: UnaryOp>(_ f: F, inPlace values: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { values[i] = f(values[i]) }
  }

  /// `target[i] = grad[i] · f'(x)` from f's output `y[i]` (the gradient before `f` from the one after it).
  @inline(__always)
  static func gradient<F: OutputDifferentiable>(
    of f: F, _ grad: UnsafePointer<Float>, output y: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>,
    count: Int
  ) {
    for i in 0..<count { target[i] = f.gradient(grad[i], output: y[i]) }
  }

  /// `gradient` with the incoming gradient in `values`, replaced by the outgoing one (vectorised, as `map`'s
  /// in-place form).
  @inline(__always)
  static func gradient<F: OutputDifferentiable>(
    of f: F, inPlace values: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int
  ) {
    for i in 0..<count { values[i] = f.gradient(values[i], output: y[i]) }
  }

  /// `grad[i] · f'(x)` from f's output `y[i]`, over whole arrays, split across the cores when large.
  @inline(__always)
  static func gradient<F: OutputDifferentiable>(of f: F, _ grad: [Float], output y: [Float]) -> [Float] {
    require(grad.count == y.count)
    return [Float](unsafeUninitializedCapacity: grad.count) { target, count in
      grad.withUnsafeBufferPointer { g in
        y.withUnsafeBufferPointer { y in
          let (gradBase, yBase, targetBase) = (g.baseAddress!, y.baseAddress!, target.baseAddress!)
          Parallel.chunks(g.count, work: g.count) { range in
            gradient(
              of: f, gradBase + range.lowerBound, output: yBase + range.lowerBound, into: targetBase + range.lowerBound,
              count: range.count)
          }
        }
      }
      count = grad.count
    }
  }

  @inline(__always)
  static func map<F: UnaryOp>(_ a: [Float], _ f: F) -> [Float] {
    [Float](unsafeUninitializedCapacity: a.count) { out, n in
      a.withUnsafeBufferPointer { a in
        // Plain local pointers: loads through the closure's context would block vectorisation.
        let (x, y) = (a.baseAddress!, out.baseAddress!)
        Parallel.chunks(a.count, work: a.count) { range in
          map(f, x + range.lowerBound, into: y + range.lowerBound, count: range.count)
        }
      }
      n = a.count
    }
  }

  @inline(__always)
  static func zip<F: BinaryOp>(_ a: [Float], _ b: [Float], _ f: F) -> [Float] {
    require(a.count == b.count)
    return [Float](unsafeUninitializedCapacity: a.count) { out, n in
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          let (x, z, y) = (a.baseAddress!, b.baseAddress!, out.baseAddress!)
          Parallel.chunks(a.count, work: a.count) { range in
            for i in range { y[i] = f(x[i], z[i]) }
          }
        }
      }
      n = a.count
    }
  }

  @inline(__always)
  static func zip3<F: TernaryOp>(_ a: [Float], _ b: [Float], _ c: [Float], _ f: F) -> [Float] {
    [Float](unsafeUninitializedCapacity: a.count) { out, n in
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeBufferPointer { c in
            let (x, z, w, y) = (a.baseAddress!, b.baseAddress!, c.baseAddress!, out.baseAddress!)
            Parallel.chunks(a.count, work: a.count) { range in
              for i in range { y[i] = f(x[i], z[i], w[i]) }
            }
          }
        }
      }
      n = a.count
    }
  }

  static func add(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b, Ops.Add()) }

  static func sum(_ a: UnsafeBufferPointer<Float>) -> Float {
    // Four accumulators: vectorises, and loses less precision than one running sum.
    var s0: Float = 0
    var s1: Float = 0
    var s2: Float = 0
    var s3: Float = 0
    var i = 0
    while i + 4 <= a.count {
      s0 += a[i]
      s1 += a[i + 1]
      s2 += a[i + 2]
      s3 += a[i + 3]
      i += 4
    }
    while i < a.count {
      s0 += a[i]
      i += 1
    }
    return (s0 + s1) + (s2 + s3)
  }
}
