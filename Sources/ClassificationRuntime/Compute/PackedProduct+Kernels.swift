/// The micro-kernels of `PackedProduct`: a tile of C kept in AVX-512 registers while the packed panels stream
/// through. 32 registers: 14 rows × 2 vectors of sums, the two vectors of B, and the broadcast row of A.
extension PackedProduct {
  typealias Vector = SIMDLanes.Vector

  /// Stores (or adds) one row of a tile: 32 floats.
  @inline(__always)
  static func put(_ x: Vector, _ y: Vector, _ row: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
    if accumulate {
      SIMDLanes.store(SIMDLanes.load(row) + x, row)
      SIMDLanes.store(SIMDLanes.load(row + 16) + y, row + 16)
    } else {
      SIMDLanes.store(x, row)
      SIMDLanes.store(y, row + 16)
    }
  }

  /// C[0..<14, 0..<32] (+)= the packed 14-row panel of A times a 32-column panel of B (packed, or in place:
  /// rows `bStride` apart), over `kc`
  /// terms: 28 sums in registers, and per term two vector loads of B and 14 broadcasts of A.
  @inline(never)
  static func kernel14(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bStride: Int, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ accumulate: Bool
  ) {
    var (s0a, s0b, s1a, s1b) = (Vector(), Vector(), Vector(), Vector())
    var (s2a, s2b, s3a, s3b) = (Vector(), Vector(), Vector(), Vector())
    var (s4a, s4b, s5a, s5b) = (Vector(), Vector(), Vector(), Vector())
    var (s6a, s6b, s7a, s7b) = (Vector(), Vector(), Vector(), Vector())
    var (s8a, s8b, s9a, s9b) = (Vector(), Vector(), Vector(), Vector())
    var (s10a, s10b, s11a, s11b) = (Vector(), Vector(), Vector(), Vector())
    var (s12a, s12b, s13a, s13b) = (Vector(), Vector(), Vector(), Vector())
    var (a, b) = (a, b)
    for _ in 0..<kc {
      let (u, v) = (SIMDLanes.load(b), SIMDLanes.load(b + 16))
      let x0 = Vector(repeating: a[0])
      s0a = s0a.addingProduct(x0, u)
      s0b = s0b.addingProduct(x0, v)
      let x1 = Vector(repeating: a[1])
      s1a = s1a.addingProduct(x1, u)
      s1b = s1b.addingProduct(x1, v)
      let x2 = Vector(repeating: a[2])
      s2a = s2a.addingProduct(x2, u)
      s2b = s2b.addingProduct(x2, v)
      let x3 = Vector(repeating: a[3])
      s3a = s3a.addingProduct(x3, u)
      s3b = s3b.addingProduct(x3, v)
      let x4 = Vector(repeating: a[4])
      s4a = s4a.addingProduct(x4, u)
      s4b = s4b.addingProduct(x4, v)
      let x5 = Vector(repeating: a[5])
      s5a = s5a.addingProduct(x5, u)
      s5b = s5b.addingProduct(x5, v)
      let x6 = Vector(repeating: a[6])
      s6a = s6a.addingProduct(x6, u)
      s6b = s6b.addingProduct(x6, v)
      let x7 = Vector(repeating: a[7])
      s7a = s7a.addingProduct(x7, u)
      s7b = s7b.addingProduct(x7, v)
      let x8 = Vector(repeating: a[8])
      s8a = s8a.addingProduct(x8, u)
      s8b = s8b.addingProduct(x8, v)
      let x9 = Vector(repeating: a[9])
      s9a = s9a.addingProduct(x9, u)
      s9b = s9b.addingProduct(x9, v)
      let x10 = Vector(repeating: a[10])
      s10a = s10a.addingProduct(x10, u)
      s10b = s10b.addingProduct(x10, v)
      let x11 = Vector(repeating: a[11])
      s11a = s11a.addingProduct(x11, u)
      s11b = s11b.addingProduct(x11, v)
      let x12 = Vector(repeating: a[12])
      s12a = s12a.addingProduct(x12, u)
      s12b = s12b.addingProduct(x12, v)
      let x13 = Vector(repeating: a[13])
      s13a = s13a.addingProduct(x13, u)
      s13b = s13b.addingProduct(x13, v)
      a += 14
      b += bStride
    }
    put(s0a, s0b, c + 0 * ldc, accumulate)
    put(s1a, s1b, c + 1 * ldc, accumulate)
    put(s2a, s2b, c + 2 * ldc, accumulate)
    put(s3a, s3b, c + 3 * ldc, accumulate)
    put(s4a, s4b, c + 4 * ldc, accumulate)
    put(s5a, s5b, c + 5 * ldc, accumulate)
    put(s6a, s6b, c + 6 * ldc, accumulate)
    put(s7a, s7b, c + 7 * ldc, accumulate)
    put(s8a, s8b, c + 8 * ldc, accumulate)
    put(s9a, s9b, c + 9 * ldc, accumulate)
    put(s10a, s10b, c + 10 * ldc, accumulate)
    put(s11a, s11b, c + 11 * ldc, accumulate)
    put(s12a, s12b, c + 12 * ldc, accumulate)
    put(s13a, s13b, c + 13 * ldc, accumulate)
  }

  /// C[0..<8, 0..<32] (+)= the packed 8-row panel of A times a 32-column panel of B (packed, or in place:
  /// rows `bStride` apart), over `kc`
  /// terms: 16 sums in registers, and per term two vector loads of B and 8 broadcasts of A.
  @inline(never)
  static func kernel8(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ bStride: Int, _ c: UnsafeMutablePointer<Float>,
    _ ldc: Int, _ accumulate: Bool
  ) {
    var (s0a, s0b, s1a, s1b) = (Vector(), Vector(), Vector(), Vector())
    var (s2a, s2b, s3a, s3b) = (Vector(), Vector(), Vector(), Vector())
    var (s4a, s4b, s5a, s5b) = (Vector(), Vector(), Vector(), Vector())
    var (s6a, s6b, s7a, s7b) = (Vector(), Vector(), Vector(), Vector())
    var (a, b) = (a, b)
    for _ in 0..<kc {
      let (u, v) = (SIMDLanes.load(b), SIMDLanes.load(b + 16))
      let x0 = Vector(repeating: a[0])
      s0a = s0a.addingProduct(x0, u)
      s0b = s0b.addingProduct(x0, v)
      let x1 = Vector(repeating: a[1])
      s1a = s1a.addingProduct(x1, u)
      s1b = s1b.addingProduct(x1, v)
      let x2 = Vector(repeating: a[2])
      s2a = s2a.addingProduct(x2, u)
      s2b = s2b.addingProduct(x2, v)
      let x3 = Vector(repeating: a[3])
      s3a = s3a.addingProduct(x3, u)
      s3b = s3b.addingProduct(x3, v)
      let x4 = Vector(repeating: a[4])
      s4a = s4a.addingProduct(x4, u)
      s4b = s4b.addingProduct(x4, v)
      let x5 = Vector(repeating: a[5])
      s5a = s5a.addingProduct(x5, u)
      s5b = s5b.addingProduct(x5, v)
      let x6 = Vector(repeating: a[6])
      s6a = s6a.addingProduct(x6, u)
      s6b = s6b.addingProduct(x6, v)
      let x7 = Vector(repeating: a[7])
      s7a = s7a.addingProduct(x7, u)
      s7b = s7b.addingProduct(x7, v)
      a += 8
      b += bStride
    }
    put(s0a, s0b, c + 0 * ldc, accumulate)
    put(s1a, s1b, c + 1 * ldc, accumulate)
    put(s2a, s2b, c + 2 * ldc, accumulate)
    put(s3a, s3b, c + 3 * ldc, accumulate)
    put(s4a, s4b, c + 4 * ldc, accumulate)
    put(s5a, s5b, c + 5 * ldc, accumulate)
    put(s6a, s6b, c + 6 * ldc, accumulate)
    put(s7a, s7b, c + 7 * ldc, accumulate)
  }
}
