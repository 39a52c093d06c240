import Testing

@testable import ClassificationRuntime

/// The runtime's own loops for products with at most 16 result columns, against plain loops in Double.
@Suite struct NarrowProductTests {
  /// op(A) · B (+ C when beta is 1) with plain loops.
  func reference(_ a: [Float], _ b: [Float], _ c: [Float], m: Int, n: Int, k: Int, transposeA: Bool, beta: Float)
    -> [Double]
  {
    (0..<(m * n)).map { index in
      let (i, j) = (index / n, index % n)
      var total = beta == 0 ? 0 : Double(c[index])
      for t in 0..<k { total += Double(transposeA ? a[t * m + i] : a[i * k + t]) * Double(b[t * n + j]) }
      return total
    }
  }

  @Test(
    arguments: [
      // m, n, k: whole vectors and blocks; odd sizes with tails in every direction; one column.
      (256, 10, 784), (37, 7, 53), (33, 16, 17), (5, 1, 3), (50, 12, 1),
    ], [false, true])
  func matchesPlainLoops(_ size: (Int, Int, Int), _ transposeA: Bool) {
    let (m, n, k) = size
    var generator = Xoshiro(seed: 4)
    let a = Random.uniform(count: m * k, lower: -1, upper: 1, using: &generator)
    let b = Random.uniform(count: k * n, lower: -1, upper: 1, using: &generator)
    for beta: Float in [0, 1] {
      var c = Random.uniform(count: m * n, lower: -1, upper: 1, using: &generator)
      let expected = reference(a, b, c, m: m, n: n, k: k, transposeA: transposeA, beta: beta)
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          c.withUnsafeMutableBufferPointer { c in
            NarrowProduct.multiply(
              transposeA: transposeA, m: m, n: n, k: k, a: a.baseAddress!, lda: transposeA ? m : k, b: b.baseAddress!,
              ldb: n,
              beta: beta, c: c.baseAddress!, ldc: n)
          }
        }
      }
      let worst = zip(c, expected).map { Swift.abs(Double($0) - $1) }.max() ?? 0
      #expect(worst < 1e-4, "m \(m) n \(n) k \(k) transposeA \(transposeA) beta \(beta): largest difference \(worst)")
    }
  }

  /// Softmax regression's products go through these loops (the operand is large enough) on the runtime's
  /// own backend, not with `Backend.openBLASOnly`; both give the results of plain loops.
  @Test func aClassifierLayerUsesThem() {
    #expect(NarrowProduct.suits(m: 256, n: 10, k: 784, transposeB: false, beta: 0, backend: .ownLoops))
    #expect(!NarrowProduct.suits(m: 256, n: 256, k: 784, transposeB: false, beta: 0, backend: .ownLoops))
    #expect(!NarrowProduct.suits(m: 256, n: 10, k: 784, transposeB: false, beta: 0, backend: .openBLASOnly))
    var generator = Xoshiro(seed: 6)
    let x = Tensor(randomUniform: [256, 784], using: &generator)
    let w = Tensor(randomUniform: [784, 10], using: &generator)
    let expected = reference(x.scalars, w.scalars, [], m: 256, n: 10, k: 784, transposeA: false, beta: 0)
    for backend in [Backend.ownLoops, .openBLASOnly] {
      #expect(
        zip(x.matmul(w, backend: backend).scalars, expected).allSatisfy { Swift.abs(Double($0) - $1) < 1e-3 },
        "\(backend)")
    }
  }
}
