/// Products whose result has at most 16 columns: a classifier's last layer, `[batch, inputs] · [inputs, 10]`,
/// and its weight gradient, `[batch, inputs]ᵀ · [batch, 10]`.
///
/// OpenBLAS lays its registers out for wide results and copies ("packs") both operands before every
/// product; with 10 columns most of its vector lanes are idle and the copy of the large operand costs as
/// much as the arithmetic (100–140 µs for softmax regression's 256 × 784 × 10 here). These loops put the
/// vector lanes along the large operand's contiguous rows instead and read it in place, once: all lanes
/// do useful work.
enum NarrowProduct {
  typealias Vector = SIMDLanes.Vector
  @inline(__always) static var lanes: Int { SIMDLanes.width }
  static let maxColumns = 16
  /// Result columns per block (10 classes are two blocks).
  static let block = 5

  /// Whether a product is one these loops do faster than OpenBLAS (on `Backend.ownLoops`): few result columns and a large
  /// operand. Measured here, fastest of 500 runs alternating with OpenBLAS: 256 × 784 × 10 in 55–61 µs
  /// against 94, its weight gradient in 38–53 µs against 81; at 256 × 256 × 10 OpenBLAS is faster
  /// (19 µs against 26). Softmax regression's epoch: 0.071 s against 0.093 s (means of 8 alternating runs).
  static func suits(m: Int, n: Int, k: Int, transposeB: Bool, beta: Float, backend: Backend) -> Bool {
    backend == .ownLoops && n <= maxColumns && !transposeB && (beta == 0 || beta == 1) && m * k >= 150_000
  }

  /// C = op(A) · B + beta·C (beta 0 or 1), row-major, for n ≤ 16; op(A) is `m × k`.
  static func multiply(
    transposeA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    require(n <= maxColumns && (beta == 0 || beta == 1), "internal: narrow product with n \(n), beta \(beta)")
    if transposeA {
      gradientShaped(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    } else {
      forwardShaped(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
  }

  /// C[i, j] = Σ_t A[i, t] · B[t, j]: dot products along A's rows (lanes along t) against the columns of
  /// B, copied once into rows of Bᵀ (padded to whole blocks with zeros). Two rows of A × five columns per
  /// step: ten sums, seven loads.
  private static func forwardShaped(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let columns = (n + block - 1) / block * block
    let transposed = UnsafeMutablePointer<Float>.allocate(capacity: columns * Swift.max(k, 1))
    defer { transposed.deallocate() }
    transposed.initialize(repeating: 0, count: columns * Swift.max(k, 1))
    for t in 0..<k {
      for j in 0..<n { transposed[j * k + t] = b[t * ldb + j] }
    }
    let whole = k / lanes * lanes
    @inline(__always) func store(_ value: Float, _ i: Int, _ j: Int) {
      guard j < n else { return }
      c[i * ldc + j] = beta == 0 ? value : c[i * ldc + j] + value
    }
    /// The dot products of rows r0 and r1 of A with columns j..<j+5.
    @inline(__always) func pair(_ r0: Int, _ r1: Int, _ j: Int) {
      let (x, y) = (a + r0 * lda, a + r1 * lda)
      let (w0, w1, w2, w3, w4) = (
        transposed + j * k, transposed + (j + 1) * k, transposed + (j + 2) * k, transposed + (j + 3) * k,
        transposed + (j + 4) * k
      )
      var (s0, s1, s2, s3, s4) = (Vector(), Vector(), Vector(), Vector(), Vector())
      var (t0, t1, t2, t3, t4) = (Vector(), Vector(), Vector(), Vector(), Vector())
      var p = 0
      while p < whole {
        let (u, v) = (SIMDLanes.load(x + p), SIMDLanes.load(y + p))
        let q0 = SIMDLanes.load(w0 + p)
        s0 = s0.addingProduct(u, q0)
        t0 = t0.addingProduct(v, q0)
        let q1 = SIMDLanes.load(w1 + p)
        s1 = s1.addingProduct(u, q1)
        t1 = t1.addingProduct(v, q1)
        let q2 = SIMDLanes.load(w2 + p)
        s2 = s2.addingProduct(u, q2)
        t2 = t2.addingProduct(v, q2)
        let q3 = SIMDLanes.load(w3 + p)
        s3 = s3.addingProduct(u, q3)
        t3 = t3.addingProduct(v, q3)
        let q4 = SIMDLanes.load(w4 + p)
        s4 = s4.addingProduct(u, q4)
        t4 = t4.addingProduct(v, q4)
        p &+= lanes
      }
      // Sums across lanes, then the last k mod 16 terms one by one.
      var sums = (
        SIMDLanes.total(s0), SIMDLanes.total(s1), SIMDLanes.total(s2), SIMDLanes.total(s3), SIMDLanes.total(s4),
        SIMDLanes.total(t0), SIMDLanes.total(t1), SIMDLanes.total(t2), SIMDLanes.total(t3), SIMDLanes.total(t4)
      )
      if whole < k {
        for t in whole..<k {
          sums.0 += x[t] * w0[t]
          sums.1 += x[t] * w1[t]
          sums.2 += x[t] * w2[t]
          sums.3 += x[t] * w3[t]
          sums.4 += x[t] * w4[t]
          sums.5 += y[t] * w0[t]
          sums.6 += y[t] * w1[t]
          sums.7 += y[t] * w2[t]
          sums.8 += y[t] * w3[t]
          sums.9 += y[t] * w4[t]
        }
      }
      store(sums.0, r0, j)
      store(sums.1, r0, j + 1)
      store(sums.2, r0, j + 2)
      store(sums.3, r0, j + 3)
      store(sums.4, r0, j + 4)
      guard r1 != r0 else { return }
      store(sums.5, r1, j)
      store(sums.6, r1, j + 1)
      store(sums.7, r1, j + 2)
      store(sums.8, r1, j + 3)
      store(sums.9, r1, j + 4)
    }
    for r in Swift.stride(from: 0, to: m, by: 2) {
      for j in Swift.stride(from: 0, to: columns, by: block) { pair(r, Swift.min(r + 1, m - 1), j) }
    }
  }

  /// C[i, j] = Σ_t A[t, i] · B[t, j] (A stored `k × m`): sums with lanes along A's rows (16 consecutive i),
  /// each step one row t: two vectors of A times five of B's values. Ten sums, each written back as
  /// sixteen entries of a column of C.
  private static func gradientShaped(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let columns = (n + block - 1) / block * block
    // B's rows padded to whole blocks (zeros past column n).
    let padded = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(k, 1) * columns)
    defer { padded.deallocate() }
    padded.initialize(repeating: 0, count: Swift.max(k, 1) * columns)
    for t in 0..<k {
      for j in 0..<n { padded[t * columns + j] = b[t * ldb + j] }
    }
    func store(_ sum: Vector, _ i: Int, _ j: Int, count: Int) {
      guard j < n else { return }
      for lane in 0..<count {
        let target = c + (i + lane) * ldc + j
        target.pointee = beta == 0 ? sum[lane] : target.pointee + sum[lane]
      }
    }
    // Blocks of 32 columns of A (two vectors), then one of 16 if left.
    var i = 0
    while i + lanes <= m {
      let double = i + 2 * lanes <= m
      for j in Swift.stride(from: 0, to: columns, by: block) {
        var (s0, s1, s2, s3, s4) = (Vector(), Vector(), Vector(), Vector(), Vector())
        var (t0, t1, t2, t3, t4) = (Vector(), Vector(), Vector(), Vector(), Vector())
        if double {
          for t in 0..<k {
            let row = a + t * lda + i
            let (u, v) = (SIMDLanes.load(row), SIMDLanes.load(row + lanes))
            let g = padded + t * columns + j
            let (g0, g1, g2, g3, g4) = (
              Vector(repeating: g[0]), Vector(repeating: g[1]), Vector(repeating: g[2]), Vector(repeating: g[3]),
              Vector(repeating: g[4])
            )
            s0 = s0.addingProduct(u, g0)
            t0 = t0.addingProduct(v, g0)
            s1 = s1.addingProduct(u, g1)
            t1 = t1.addingProduct(v, g1)
            s2 = s2.addingProduct(u, g2)
            t2 = t2.addingProduct(v, g2)
            s3 = s3.addingProduct(u, g3)
            t3 = t3.addingProduct(v, g3)
            s4 = s4.addingProduct(u, g4)
            t4 = t4.addingProduct(v, g4)
          }
        } else {
          for t in 0..<k {
            let u = SIMDLanes.load(a + t * lda + i)
            let g = padded + t * columns + j
            s0 = s0.addingProduct(u, Vector(repeating: g[0]))
            s1 = s1.addingProduct(u, Vector(repeating: g[1]))
            s2 = s2.addingProduct(u, Vector(repeating: g[2]))
            s3 = s3.addingProduct(u, Vector(repeating: g[3]))
            s4 = s4.addingProduct(u, Vector(repeating: g[4]))
          }
        }
        store(s0, i, j, count: lanes)
        store(s1, i, j + 1, count: lanes)
        store(s2, i, j + 2, count: lanes)
        store(s3, i, j + 3, count: lanes)
        store(s4, i, j + 4, count: lanes)
        if double {
          store(t0, i + lanes, j, count: lanes)
          store(t1, i + lanes, j + 1, count: lanes)
          store(t2, i + lanes, j + 2, count: lanes)
          store(t3, i + lanes, j + 3, count: lanes)
          store(t4, i + lanes, j + 4, count: lanes)
        }
      }
      i += double ? 2 * lanes : lanes
    }
    let wide = i
    // The last columns of A (fewer than 16), one at a time.
    for i in wide..<m {
      for j in 0..<n {
        var total: Float = 0
        for t in 0..<k { total += a[t * lda + i] * b[t * ldb + j] }
        c[i * ldc + j] = beta == 0 ? total : c[i * ldc + j] + total
      }
    }
  }
}
