internal import Foundation

/// The runtime's own single-precision matrix product for CPUs with AVX-512, in the BLIS design: blocks of
/// op(A) and op(B) packed into aligned panels, and a micro-kernel that keeps a 14 × 32 tile of C in registers.
///
/// OpenBLAS runs its AVX2 kernels when `OPENBLAS_CORETYPE=Haswell` (the machine's choice here, kept: older
/// builds crash or compute wrong results on some CPUs), 185–220 GFLOP/s on 2 cores for 2048³ while the CPU's
/// AVX-512 units do about 327 with OpenBLAS's SkylakeX kernels; OpenBLAS's sgemm kernel was 65% of a
/// ResNet-18 step. `SIMD16<Float>` with `-target-cpu native` is one zmm register here.
///
/// Loops, outermost first: blocks of `termsPerBlock` terms (A's panels for them packed once, 14 KB a panel:
/// L1); blocks of `columnsPerBlock` columns of op(B) (packed once, 512 KB: L2); A's panels; B's panels; the
/// micro-kernel. Rows come in panels of 14 and 8 (`rowPanels`), so 64, 128 or 256 rows waste none.
enum PackedProduct {
  /// Terms (k) per packed block.
  static let termsPerBlock = 256
  /// Columns of op(B) per packed block (whole panels of 32).
  static let columnsPerBlock = 512

  /// Whether this CPU has AVX-512 (the runtime is compiled for the CPU it runs on: `SIMD16<Float>` is then
  /// one register, and on AVX2 two, where OpenBLAS's Haswell kernels are the faster).
  /// Also sets the process's allocation settings (`Memory`), as loading OpenBLAS does: a process whose
  /// products all come here might never load it.
  static let available: Bool = {
    _ = Memory.configured
    return BLAS.cpuFlags().contains("avx512f")
  }()

  /// Whether `BLAS` should hand this product to `multiply`: on AVX-512, when at least 60% of the tiles'
  /// entries are in C. Measured here on one core against OpenBLAS (Haswell kernels): 1.5–1.95× on the CNNs'
  /// products and the dense layers' (all tiles full or nearly); with tiles 62% used (512 × 40 × 1024) 1.07×;
  /// 56% (16 × 36 × 480) 0.74×, 50% (512 × 16 × 1024, 4 × 2048 × 512) 0.88–0.93×, 1 × 10 × 1024 0.2×.
  static func suits(m: Int, n: Int, k: Int, beta: Float, backend: Backend) -> Bool {
    guard available, backend == .ownLoops, beta == 0 || beta == 1, m > 0, n > 0, k > 0 else { return false }
    let (fourteens, eights) = rowPanels(m)
    let tiles = (14 * fourteens + 8 * eights) * ((n + 31) / 32 * 32)
    return 10 * m * n >= 6 * tiles && !Earlier.uses("openblas-gemm")
  }

  /// How many panels of 14 and of 8 rows cover `m` rows with the fewest past `m` (fewer panels of 14 by up
  /// to 3 for panels of 8 that fit exactly: 64 = 4·14 + 8, 128 = 8·14 + 2·8).
  static func rowPanels(_ m: Int) -> (fourteens: Int, eights: Int) {
    var best = (fourteens: 0, eights: (m + 7) / 8)
    var bestWaste = Int.max
    for fourteens in Swift.stride(from: m / 14, through: Swift.max(0, m / 14 - 3), by: -1) {
      let eights = (m - 14 * fourteens + 7) / 8
      let waste = 14 * fourteens + 8 * eights - m
      if waste < bestWaste { (best, bestWaste) = ((fourteens, eights), waste) }
    }
    return best
  }

  /// C = op(A)·op(B) + beta·C (beta 0 or 1) on the calling thread; row-major, any lda, ldb, ldc.
  static func multiply(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    require(beta == 0 || beta == 1, "internal: packed product with beta \(beta)")
    guard m > 0, n > 0, k > 0 else { return }
    let (fourteens, eights) = rowPanels(m)
    let panels = fourteens + eights
    let blockTerms = Swift.min(k, termsPerBlock)
    let blockColumns = Swift.min((n + 31) / 32 * 32, columnsPerBlock)
    // 16 floats of slack after A's panels: `packA` stores whole vectors.
    let aCount = (14 * fourteens + 8 * eights) * blockTerms + 16
    let bCount = blockTerms * blockColumns
    let storage = UnsafeMutableRawPointer.allocate(byteCount: (aCount + bCount + 14 * 32) * 4, alignment: 64)
    defer { storage.deallocate() }
    let floats = storage.bindMemory(to: Float.self, capacity: aCount + bCount + 14 * 32)
    let (packedA, packedB, tile) = (floats, floats + aCount, floats + aCount + bCount)

    for termStart in Swift.stride(from: 0, to: k, by: termsPerBlock) {
      let terms = termStart..<Swift.min(k, termStart + termsPerBlock)
      let kc = terms.count
      var (row, offset) = (0, 0)
      for panel in 0..<panels {
        let height = panel < fourteens ? 14 : 8
        packA(
          transposeA: transposeA, a: a, lda: lda, rows: row..<Swift.min(m, row + height), height: height,
          terms: terms, into: packedA + offset)
        (row, offset) = (row + height, offset + height * kc)
      }
      // Later blocks of terms add onto the earlier ones' sums.
      let accumulate = termStart > 0 || beta == 1
      for columnStart in Swift.stride(from: 0, to: n, by: columnsPerBlock) {
        let columns = columnStart..<Swift.min(n, columnStart + columnsPerBlock)
        // Whole panels of op(B) are read in place when B is not transposed and at most 64 rows (5 panels of A)
        // use each: its copy would cost about as much as the kernels' reads of it. Measured on one core:
        // 64 × 2304 × 576 12% faster, 24 × 2052 × 512 20%, 4 × 2048 × 512 1.9×; 128 × 2160 × 1152 and
        // 96 × 676 × 6400 4–6% slower, so larger products copy.
        let inPlace = !transposeB && m <= 64 ? columns.count / 32 : 0
        if inPlace * 32 < columns.count {
          packB(
            transposeB: transposeB, b: b, ldb: ldb, columns: (columns.lowerBound + inPlace * 32)..<columns.upperBound,
            terms: terms, into: packedB + inPlace * kc * 32)
        }
        (row, offset) = (0, 0)
        for panel in 0..<panels {
          let height = panel < fourteens ? 14 : 8
          let rows = Swift.min(height, m - row)
          for (index, column) in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 32).enumerated() {
            let panelA = packedA + offset
            let (panelB, stride) =
              index < inPlace ? (b + termStart * ldb + column, ldb) : (UnsafePointer(packedB + index * kc * 32), 32)
            let width = Swift.min(32, n - column)
            let whole = rows == height && width == 32
            // A tile past C's edge is computed into `tile`, then its valid part added or stored.
            let (target, pitch) = whole ? (c + row * ldc + column, ldc) : (tile, 32)
            if height == 14 {
              kernel14(kc, panelA, panelB, stride, target, pitch, whole && accumulate)
            } else {
              kernel8(kc, panelA, panelB, stride, target, pitch, whole && accumulate)
            }
            if !whole {
              for r in 0..<rows {
                let (source, destination) = (tile + r * 32, c + (row + r) * ldc + column)
                for x in 0..<width { destination[x] = accumulate ? destination[x] + source[x] : source[x] }
              }
            }
          }
          (row, offset) = (row + height, offset + height * kc)
        }
      }
    }
  }

  /// `multiply` split across the cores: by columns of op(B) when A is the smaller operand (each core packs
  /// all of A and its share of B), else by rows; `false` when the product is too narrow either way (the
  /// caller sums partial products over k instead).
  static func multiplyOnCores(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) -> Bool {
    let parts = Parallel.cores
    if n >= 64 * parts && (n >= m || m < 16 * parts) {
      // Boundaries at whole panels of 32 columns.
      Parallel.alignedChunks(n, unit: 32) { columns in
        multiply(
          transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, a: a, lda: lda,
          b: transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound, ldb: ldb, beta: beta,
          c: c + columns.lowerBound, ldc: ldc)
      }
      return true
    }
    if m >= 16 * parts {
      // Boundaries at multiples of 8 rows.
      Parallel.alignedChunks(m, unit: 8) { rows in
        multiply(
          transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k,
          a: transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda, lda: lda, b: b, ldb: ldb, beta: beta,
          c: c + rows.lowerBound * ldc, ldc: ldc)
      }
      return true
    }
    return false
  }
}
