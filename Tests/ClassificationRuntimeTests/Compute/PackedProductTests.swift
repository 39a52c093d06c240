import Testing

@testable import ClassificationRuntime

/// The runtime's own packed product (AVX-512 micro-kernels) against plain loops in Double: every edge of its
/// panels and blocks, both transposes, beta 0 and 1, and operands inside larger matrices (lda, ldb, ldc).
/// It is called directly, so it is checked on CPUs without AVX-512 too (where `BLAS` does not use it).
@Suite struct PackedProductTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let m, n, k: Int
    var testDescription: String { "\(m)×\(n)×\(k)" }
  }

  /// m, n, k: single rows, columns and terms; odd sizes; a panel of 14 and of 8 exactly and one past; more
  /// than one block of terms (256) and of columns (512), with tails; the convolutions' shapes.
  static let cases: [Case] = [
    (1, 1, 1), (1, 40, 3), (37, 1, 5), (3, 5, 1), (14, 32, 16), (8, 32, 16), (15, 33, 17), (22, 31, 259),
    (13, 7, 3), (64, 96, 300), (128, 530, 17), (29, 1100, 40), (36, 64, 513), (9, 47, 16), (126, 16, 32),
  ].map { Case(m: $0.0, n: $0.1, k: $0.2) }

  /// op(A)·op(B) + beta·C with plain loops, for A, B and C with leading dimensions lda, ldb, ldc.
  static func reference(
    _ a: [Float], _ b: [Float], _ c: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
    lda: Int, ldb: Int, ldc: Int, beta: Float
  ) -> [Double] {
    var result = c.map(Double.init)
    for i in 0..<m {
      for j in 0..<n {
        var total = beta == 0 ? 0 : Double(c[i * ldc + j])
        for t in 0..<k {
          let x = transposeA ? a[t * lda + i] : a[i * lda + t]
          let y = transposeB ? b[j * ldb + t] : b[t * ldb + j]
          total += Double(x) * Double(y)
        }
        result[i * ldc + j] = total
      }
    }
    return result
  }

  /// Runs `product` on random operands (padded by `pad` past each row) and compares every entry of C,
  /// including the padding, which must be left as it was.
  static func check(
    _ size: Case, transposeA: Bool, transposeB: Bool, beta: Float, pad: Int, seed: UInt64,
    product: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void
  ) {
    let (m, n, k) = (size.m, size.n, size.k)
    let lda = (transposeA ? m : k) + pad
    let ldb = (transposeB ? k : n) + pad
    let ldc = n + pad
    var generator = Xoshiro(seed: seed)
    let a = Random.uniform(count: (transposeA ? k : m) * lda, lower: -1, upper: 1, using: &generator)
    let b = Random.uniform(count: (transposeB ? n : k) * ldb, lower: -1, upper: 1, using: &generator)
    var c = Random.uniform(count: m * ldc, lower: -1, upper: 1, using: &generator)
    let expected = reference(
      a, b, c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, lda: lda, ldb: ldb, ldc: ldc,
      beta: beta)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in product(a.baseAddress!, lda, b.baseAddress!, ldb, c.baseAddress!, ldc) }
      }
    }
    // Float sums of k products of numbers below 1 in size: rounding errors far under 1e-6 · k; a term lost
    // or misplaced is off by about 0.3.
    let tolerance = 1e-6 * Double(k) + 1e-4
    let worst = zip(c, expected).map { Swift.abs(Double($0) - $1) }.max() ?? 0
    #expect(
      worst < tolerance,
      "m \(m) n \(n) k \(k) transposes \(transposeA) \(transposeB) beta \(beta) pad \(pad): difference \(worst)")
  }

  @Test(arguments: cases, [(false, false), (false, true), (true, false), (true, true)])
  func matchesPlainLoops(_ size: Case, _ transposes: (Bool, Bool)) {
    let (transposeA, transposeB) = transposes
    for beta: Float in [0, 1] {
      for pad in [0, 3] {
        Self.check(size, transposeA: transposeA, transposeB: transposeB, beta: beta, pad: pad, seed: 7) {
          a, lda, b, ldb, c, ldc in
          PackedProduct.multiply(
            transposeA: transposeA, transposeB: transposeB, m: size.m, n: size.n, k: size.k, a: a, lda: lda, b: b,
            ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
      }
    }
  }

  /// Split across the cores by columns (A the smaller operand) and by rows, at boundaries of whole panels.
  @Test(arguments: [Case(m: 20, n: 300, k: 70), Case(m: 301, n: 40, k: 33), Case(m: 130, n: 130, k: 9)])
  func splitAcrossCores(_ size: Case) {
    for (transposeA, transposeB) in [(false, false), (true, true)] {
      for beta: Float in [0, 1] {
        Self.check(size, transposeA: transposeA, transposeB: transposeB, beta: beta, pad: 2, seed: 9) {
          a, lda, b, ldb, c, ldc in
          let split = PackedProduct.multiplyOnCores(
            transposeA: transposeA, transposeB: transposeB, m: size.m, n: size.n, k: size.k, a: a, lda: lda, b: b,
            ldb: ldb, beta: beta, c: c, ldc: ldc)
          #expect(split || Parallel.cores == 1)
          if !split {
            PackedProduct.multiply(
              transposeA: transposeA, transposeB: transposeB, m: size.m, n: size.n, k: size.k, a: a, lda: lda, b: b,
              ldb: ldb, beta: beta, c: c, ldc: ldc)
          }
        }
      }
    }
  }

  /// `BLAS.gemm` and `BLAS.serialGemm` give the same results whichever does the product: this product on
  /// an AVX-512 CPU, OpenBLAS otherwise and on `Backend.openBLASOnly`.
  @Test(arguments: [Backend.ownLoops, .openBLASOnly])
  func throughBLAS(_ backend: Backend) {
    #expect(!PackedProduct.suits(m: 64, n: 64, k: 64, beta: 0, backend: .openBLASOnly))
    #expect(!PackedProduct.suits(m: 64, n: 64, k: 64, beta: 0.5, backend: .ownLoops))
    #expect(PackedProduct.suits(m: 64, n: 64, k: 64, beta: 1, backend: .ownLoops) == PackedProduct.available)
    // Tiles mostly padding: 1 of 8 rows, 10 of 32 columns.
    #expect(!PackedProduct.suits(m: 1, n: 10, k: 1024, beta: 0, backend: .ownLoops))
    for size in [Case(m: 64, n: 2304, k: 100), Case(m: 6, n: 7, k: 200_000), Case(m: 45, n: 33, k: 9)] {
      for (transposeA, transposeB) in [(false, true), (true, false)] {
        Self.check(size, transposeA: transposeA, transposeB: transposeB, beta: 1, pad: 1, seed: 11) {
          a, lda, b, ldb, c, ldc in
          BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: size.m, n: size.n, k: size.k, a: a, lda: lda, b: b,
            ldb: ldb, beta: 1, c: c, ldc: ldc, backend: backend)
        }
        Self.check(size, transposeA: transposeA, transposeB: transposeB, beta: 0, pad: 1, seed: 12) {
          a, lda, b, ldb, c, ldc in
          BLAS.prepareSerialGemm()
          BLAS.serialGemm(
            transposeA: transposeA, transposeB: transposeB, m: size.m, n: size.n, k: size.k, a: a, lda: lda, b: b,
            ldb: ldb, beta: 0, c: c, ldc: ldc, backend: backend)
        }
      }
    }
  }

  /// Row panels of 14 and 8 with the fewest rows past m.
  @Test func rowPanels() {
    #expect(PackedProduct.rowPanels(64) == (4, 1))
    #expect(PackedProduct.rowPanels(128) == (8, 2))
    #expect(PackedProduct.rowPanels(14) == (1, 0))
    #expect(PackedProduct.rowPanels(1) == (0, 1))
    for m in 1...600 {
      let (fourteens, eights) = PackedProduct.rowPanels(m)
      #expect(14 * fourteens + 8 * eights >= m && 14 * fourteens + 8 * eights < m + 8, "m \(m)")
    }
  }
}
