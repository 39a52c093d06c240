/// The SIMD helpers that the runtime's vector loops (`ConvolutionLoops`, `NarrowProduct`, `AveragePool2x2`,
/// the convolution's copies) share: 16-lane vectors of `Float` (AVX-512 with `-target-cpu native` here; other
/// CPUs split them), unaligned loads and stores, a sum across lanes, and a copy of short rows.
enum SIMDLanes {
  typealias Vector = SIMD16<Float>
  /// Floats per `Vector`.
  @inline(__always) static var width: Int { 16 }

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

  @inline(__always)
  static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
  }

  /// The sum of the lanes as a tree of halves: SIMD's `sum()` adds them one after another (16 dependent
  /// additions), which costs more than a short product's arithmetic.
  @inline(__always)
  static func total(_ v: Vector) -> Float {
    let eight = v.lowHalf + v.highHalf
    let four = eight.lowHalf + eight.highHalf
    let two = four.lowHalf + four.highHalf
    return two[0] + two[1]
  }

  /// `target[x] = source[x] + shift` for `x < count`: rows of an image (10 to 28 floats in LeNet) are too
  /// short for the compiler's vector loops, which would do most of them one float at a time. Whole vectors,
  /// the last one overlapping the one before (the arrays do not overlap each other).
  @inline(__always)
  static func copy(
    from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int, adding shift: Float = 0
  ) {
    if count >= width {
      let s = Vector(repeating: shift)
      var x = 0
      while x + width <= count {
        store(load(source + x) + s, target + x)
        x += width
      }
      if x < count { store(load(source + count - width) + s, target + count - width) }
    } else if count >= 8 {
      let s = SIMD8<Float>(repeating: shift)
      let (head, tail) = (
        UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self),
        UnsafeRawPointer(source + count - 8).loadUnaligned(as: SIMD8<Float>.self)
      )
      UnsafeMutableRawPointer(target).storeBytes(of: head + s, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(target + count - 8).storeBytes(of: tail + s, as: SIMD8<Float>.self)
    } else {
      for x in 0..<count { target[x] = source[x] + shift }
    }
  }

  /// Σ (x − shift) in 16 lanes (a scalar loop of Float additions is not vectorised: it would reorder them).
  @inline(__always)
  static func sum(_ x: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
    var (lanes, i) = (Vector(repeating: 0), 0)
    let s = Vector(repeating: shift)
    while i + width <= count {
      lanes += load(x + i) - s
      i += width
    }
    var result = Self.total(lanes)
    while i < count {
      result += x[i] - shift
      i += 1
    }
    return result
  }

  /// Σ (x − shift)².
  @inline(__always)
  static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
    var (lanes, i) = (Vector(repeating: 0), 0)
    let s = Vector(repeating: shift)
    while i + width <= count {
      let d = load(x + i) - s
      lanes += d * d
      i += width
    }
    var result = Self.total(lanes)
    while i < count {
      let d = x[i] - shift
      result += d * d
      i += 1
    }
    return result
  }
}
