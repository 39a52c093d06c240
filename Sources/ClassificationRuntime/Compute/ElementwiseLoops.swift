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

  /// `grad[i] · f'(x)` from f's output `y[i]`, written over `grad` (split across the cores when large).
  @inline(__always)
  static func gradient<F: OutputDifferentiable>(of f: F, inPlace grad: inout [Float], output y: [Float]) {
    require(grad.count == y.count)
    let count = grad.count
    grad.withUnsafeMutableBufferPointer { g in
      y.withUnsafeBufferPointer { y in
        let (gradBase, yBase) = (g.baseAddress!, y.baseAddress!)
        Parallel.chunks(count, work: count) { range in
          gradient(of: f, inPlace: gradBase + range.lowerBound, output: yBase + range.lowerBound, count: range.count)
        }
      }
    }
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

  /// One bit per element, set where a ReLU's output is positive (element i is bit i % 8 of byte i / 8): all
  /// its backward pass needs of the output, in a 32nd of the memory (split across the cores when large).
  static func positiveBits(_ values: [Float]) -> [UInt8] {
    let bytes = (values.count + 7) / 8
    return [UInt8](unsafeUninitializedCapacity: bytes) { mask, count in
      values.withUnsafeBufferPointer { values in
        let (source, target, total) = (values.baseAddress!, mask.baseAddress!, values.count)
        let weights = SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)
        Parallel.chunks(bytes, work: total) { range in
          for byte in range {
            let first = byte * 8
            if first + 8 <= total {
              let v = UnsafeRawPointer(source + first).loadUnaligned(as: SIMD8<Float>.self)
              target[byte] = UInt8(truncatingIfNeeded: weights.replacing(with: 0, where: .!(v .> 0)).wrappedSum())
            } else {
              var bits: UInt8 = 0
              for k in 0..<(total - first) where source[first + k] > 0 { bits |= 1 << UInt8(k) }
              target[byte] = bits
            }
          }
        }
      }
      count = bytes
    }
  }

  /// ReLU's gradient from its output's `positiveBits`: `grad[i]` where bit `start + i` is set, else 0.
  /// `sixteen: false` is the earlier way (`Earlier` `relu-bits-8`): 8 at a time, from a whole byte on.
  static func reluGradient(
    _ grad: UnsafePointer<Float>, bits: UnsafePointer<UInt8>, from start: Int, into target: UnsafeMutablePointer<Float>,
    count: Int, sixteen: Bool = true
  ) {
    @inline(__always) func isSet(_ e: Int) -> Bool { bits[e >> 3] & (1 << UInt8(e & 7)) != 0 }
    var i = 0
    if sixteen {
      // 16 at a time from any bit: the 16 bits from bit e span bytes e/8 … e/8 + 2 (the third only when e is
      // not a multiple of 8, and then it holds bit e + 15, which exists).
      let lanes = SIMD16<UInt32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
      while i + 16 <= count {
        let e = start + i
        let (byte, shift) = (e >> 3, UInt32(e & 7))
        var word = UInt32(bits[byte]) | UInt32(bits[byte + 1]) << 8
        if shift != 0 { word |= UInt32(bits[byte + 2]) << 16 }
        let on = (SIMD16<UInt32>(repeating: word >> shift) & lanes) .!= 0
        SIMDLanes.store(SIMDLanes.load(grad + i).replacing(with: 0, where: .!on), target + i)
        i += 16
      }
    }
    while i < count && (start + i) & 7 != 0 {
      target[i] = isSet(start + i) ? grad[i] : 0
      i += 1
    }
    let weights = SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)
    while i + 8 <= count {
      let on = (SIMD8<Int32>(repeating: Int32(bits[(start + i) >> 3])) & weights) .!= 0
      let g = UnsafeRawPointer(grad + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(target + i).storeBytes(of: g.replacing(with: 0, where: .!on), as: SIMD8<Float>.self)
      i += 8
    }
    while i < count {
      target[i] = isSet(start + i) ? grad[i] : 0
      i += 1
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
