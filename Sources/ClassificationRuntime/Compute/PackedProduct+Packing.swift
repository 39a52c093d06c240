/// The copies ("packing") of `PackedProduct`: each block of op(A) and op(B) is copied once into the order the
/// micro-kernels read it, contiguous and aligned, and padded with zeros to whole panels, so the kernels never
/// look at lda, ldb, the transposes or the edges.
extension PackedProduct {
  /// Rows `rows` of op(A) (`height` of them, zeros past the valid ones), terms `terms`, as `dst[t * height + r]`.
  static func packA(
    transposeA: Bool, a: UnsafePointer<Float>, lda: Int, rows: Range<Int>, height: Int, terms: Range<Int>,
    into dst: UnsafeMutablePointer<Float>
  ) {
    let valid = rows.count
    if transposeA {
      // op(A)[i, t] = a[t * lda + i]: each term's rows are contiguous.
      for (p, t) in terms.enumerated() {
        let source = a + t * lda + rows.lowerBound
        let target = dst + p * height
        for r in 0..<valid { target[r] = source[r] }
        for r in valid..<height { target[r] = 0 }
      }
      return
    }
    // op(A)[i, t] = a[i * lda + t]: a transpose, 16 terms at a time (16 rows loaded, the ones past the panel's
    // repeating its first row; their lanes are overwritten or past the panel).
    var p = 0
    let count = terms.count
    if valid == height {
      while p + 16 <= count {
        // Stores of 16 lanes at steps of `height`: each store's last lanes are overwritten by the next one's,
        // or the next panel's (`dst` has 16 floats of slack at its end).
        transpose({ a + (rows.lowerBound + ($0 < valid ? $0 : 0)) * lda + terms.lowerBound + p }) { t, column in
          SIMDLanes.store(column, dst + (p + t) * height)
        }
        p += 16
      }
    }
    while p < count {
      let target = dst + p * height
      for r in 0..<valid { target[r] = a[(rows.lowerBound + r) * lda + terms.lowerBound + p] }
      for r in valid..<height { target[r] = 0 }
      p += 1
    }
  }

  /// Columns `columns` of op(B), terms `terms`, as panels of 32 columns (zeros past the valid ones):
  /// `dst[panel * terms.count * 32 + t * 32 + j]`.
  static func packB(
    transposeB: Bool, b: UnsafePointer<Float>, ldb: Int, columns: Range<Int>, terms: Range<Int>,
    into dst: UnsafeMutablePointer<Float>
  ) {
    let count = terms.count
    for (panel, start) in Swift.stride(from: columns.lowerBound, to: columns.upperBound, by: 32).enumerated() {
      let valid = Swift.min(32, columns.upperBound - start)
      let target = dst + panel * count * 32
      if !transposeB {
        // op(B)[t, j] = b[t * ldb + j]: rows of 32 contiguous floats.
        for p in 0..<count {
          let source = b + (terms.lowerBound + p) * ldb + start
          if valid == 32 {
            SIMDLanes.store(SIMDLanes.load(source), target + p * 32)
            SIMDLanes.store(SIMDLanes.load(source + 16), target + p * 32 + 16)
          } else {
            for j in 0..<valid { target[p * 32 + j] = source[j] }
            for j in valid..<32 { target[p * 32 + j] = 0 }
          }
        }
        continue
      }
      // op(B)[t, j] = b[j * ldb + t]: a transpose of 16 × 16 blocks (a column of op(B) past n reads
      // column `start` again, and its lanes are zeroed).
      for half in 0..<2 {
        let first = start + half * 16
        let lanes = Swift.max(0, Swift.min(16, valid - half * 16))
        var mask = Vector()
        for lane in 0..<lanes { mask[lane] = 1 }
        var p = 0
        if lanes > 0 {
          while p + 16 <= count {
            transpose({ b + (first + ($0 < lanes ? $0 : 0)) * ldb + terms.lowerBound + p }) { t, column in
              SIMDLanes.store(lanes == 16 ? column : column * mask, target + (p + t) * 32 + half * 16)
            }
            p += 16
          }
        }
        while p < count {
          for j in 0..<16 {
            target[p * 32 + half * 16 + j] = j < lanes ? b[(first + j) * ldb + terms.lowerBound + p] : 0
          }
          p += 1
        }
      }
    }
  }

  /// The transpose of the 16 × 16 block whose row `i` starts at `row(i)`, as `store(t, column)` for each
  /// column t (lane `j` of `column` is row j's element t). Four rounds of pairing two vectors' even lanes
  /// and odd lanes (one `vpermt2ps` each): each round rotates the 8 bits of an element's (vector, lane) index
  /// by one, so four of them swap vector and lane bits, reversed in order, which the loads and the read-out
  /// undo (rows loaded in bit-reversed order).
  @inline(__always)
  static func transpose(_ row: (Int) -> UnsafePointer<Float>, _ store: (Int, Vector) -> Void) {
    @inline(__always) func load(_ i: Int) -> Vector { SIMDLanes.load(row(i)) }
    var x = (
      load(0), load(8), load(4), load(12), load(2), load(10), load(6), load(14), load(1), load(9), load(5),
      load(13), load(3), load(11), load(7), load(15)
    )
    @inline(__always) func even(_ u: Vector, _ w: Vector) -> Vector {
      Vector(lowHalf: u.evenHalf, highHalf: w.evenHalf)
    }
    @inline(__always) func odd(_ u: Vector, _ w: Vector) -> Vector { Vector(lowHalf: u.oddHalf, highHalf: w.oddHalf) }
    for _ in 0..<4 {
      x = (
        even(x.0, x.8), odd(x.0, x.8), even(x.1, x.9), odd(x.1, x.9), even(x.2, x.10), odd(x.2, x.10),
        even(x.3, x.11), odd(x.3, x.11), even(x.4, x.12), odd(x.4, x.12), even(x.5, x.13), odd(x.5, x.13),
        even(x.6, x.14), odd(x.6, x.14), even(x.7, x.15), odd(x.7, x.15)
      )
    }
    // Column t is x[reverse(t)].
    store(0, x.0)
    store(1, x.8)
    store(2, x.4)
    store(3, x.12)
    store(4, x.2)
    store(5, x.10)
    store(6, x.6)
    store(7, x.14)
    store(8, x.1)
    store(9, x.9)
    store(10, x.5)
    store(11, x.13)
    store(12, x.3)
    store(13, x.11)
    store(14, x.7)
    store(15, x.15)
  }
}
