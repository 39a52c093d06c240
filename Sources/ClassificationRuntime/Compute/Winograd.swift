/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2015) for 3×3 convolutions with stride 1 and
/// padding 1 (ResNet's, VGG's, GoogLeNet's, DenseNet's, AlexNet's last three): each 2×2 block of outputs
/// (a tile) comes from the 4×4 block of input around it, and its 36 multiply-adds per (output, channel)
/// become 16. The input tiles are transformed (V = Bᵀ d B), each of the 16 entries ξ of the tiles multiplied
/// by the transformed weights (U = G g Gᵀ) in one sgemm (M[ξ] = V[ξ] · U[ξ], `[tiles, C] · [C, O]`), and the
/// products transformed back (Y = Aᵀ m A): 16 products with C·O·tiles multiply-adds each instead of im2col's
/// one with 9·C·O·positions, 2.25 times fewer at even plane sizes, and an input transform that writes 4
/// floats per input float instead of im2col's 9.
///
/// The transforms run on 16 channels at a time (`SIMDLanes`): the chunk's images are first copied into a
/// zero-padded channel-last grid (`fillGrid`), and the outputs come back channel-last and are copied into
/// the `[N, O, H, W]` planes (`emptyGrid`). Channels and outputs are rounded up to whole vectors (the extra
/// ones zero). The input gradient of such a convolution is one too (of the output gradient with the flipped,
/// transposed weights: `transformedWeights(flipped: true)`).
///
/// Timed against im2col + sgemm in the same process (`Earlier` `im2col-3x3`, train-bench's CPU time per
/// training step, batch 128, on a loaded machine): ResNet-18 2.98 → 2.02 s, GoogLeNet 4.19 → 2.53 s,
/// DenseNet 2.20 → 1.34 s, AlexNet 7.84 → 5.99 s, VGG 6.02 → 4.34 s. Its rounding error is a few times
/// sgemm's (about 1e-6 relative here; the tests allow 1e-4).
struct Winograd {
  typealias Vector = SIMDLanes.Vector
  /// The convolution's input channels, outputs, and plane height and width (the output's too).
  let channels, outputs, height, width: Int

  var tilesHigh: Int { (height + 1) / 2 }
  var tilesWide: Int { (width + 1) / 2 }
  var tilesPerImage: Int { tilesHigh * tilesWide }
  /// Channels and outputs rounded up to whole vectors.
  var paddedChannels: Int { Winograd.whole(channels) }
  var paddedOutputs: Int { Winograd.whole(outputs) }
  /// The channel-last input grid of an image: the plane with a border of zeros (and a second one at the
  /// bottom or the right of an odd plane), `paddedChannels` floats per position.
  var gridHigh: Int { 2 * tilesHigh + 2 }
  var gridWide: Int { 2 * tilesWide + 2 }
  var gridImage: Int { gridHigh * gridWide * paddedChannels }
  /// The channel-last output of an image, whole tiles: `paddedOutputs` floats per position.
  var outImage: Int { 4 * tilesPerImage * paddedOutputs }

  static func whole(_ count: Int) -> Int { (count + SIMDLanes.width - 1) / SIMDLanes.width * SIMDLanes.width }

  /// U `[16, C, paddedOutputs]`: U[ξ][c][o] = (G g Gᵀ)[ξ] for the kernel g of output o and channel c,
  /// `weights[o][c]` (`[O, C, 3, 3]`), or with `flipped` (the input gradient's: this convolution's channels are
  /// the forward one's outputs) `weights[c][o]` turned by 180°. The extra outputs' columns are zero.
  func transformedWeights(_ weights: UnsafePointer<Float>, flipped: Bool) -> [Float] {
    let (pitch, plane) = (paddedOutputs, channels * paddedOutputs)
    let lanes = SIMDLanes.width
    var u = [Float](unsafeUninitializedCapacity: 16 * plane) { $1 = $0.count }
    u.withUnsafeMutableBufferPointer { u in
      let u = u.baseAddress!
      // 16 outputs at a time: their kernels' taps gathered into 9 vectors (zero past the last output), the
      // transform on vectors, 16 contiguous stores (one float at a time, ResNet's 512 × 512 took 3 ms; the
      // channels are split across the cores).
      Parallel.chunks(channels, work: 16 * plane) { range in
        let taps = UnsafeMutablePointer<Float>.allocate(capacity: 9 * lanes)
        defer { taps.deallocate() }
        for c in range {
          for o in Swift.stride(from: 0, to: pitch, by: lanes) {
            for i in 0..<lanes {
              guard o + i < outputs else {
                for t in 0..<9 { taps[t * lanes + i] = 0 }
                continue
              }
              let kernel = weights + (flipped ? c * outputs + o + i : (o + i) * channels + c) * 9
              for t in 0..<9 { taps[t * lanes + i] = kernel[flipped ? 8 - t : t] }
            }
            func tap(_ t: Int) -> Vector { SIMDLanes.load(taps + t * lanes) }
            // G g: rows g₀, (g₀ + g₁ + g₂)/2, (g₀ − g₁ + g₂)/2, g₂ of the kernel's rows; then the same on each
            // row's entries.
            let (half, at) = (Vector(repeating: 0.5), u + c * pitch + o)
            @inline(__always) func store(_ r: Int, _ a: Vector, _ b: Vector, _ d: Vector) {
              SIMDLanes.store(a, at + 4 * r * plane)
              SIMDLanes.store((a + b + d) * half, at + (4 * r + 1) * plane)
              SIMDLanes.store((a - b + d) * half, at + (4 * r + 2) * plane)
              SIMDLanes.store(d, at + (4 * r + 3) * plane)
            }
            let (a0, a1, a2) = (tap(0), tap(1), tap(2))
            let (b0, b1, b2) = (tap(3), tap(4), tap(5))
            let (d0, d1, d2) = (tap(6), tap(7), tap(8))
            store(0, a0, a1, a2)
            store(1, (a0 + b0 + d0) * half, (a1 + b1 + d1) * half, (a2 + b2 + d2) * half)
            store(2, (a0 - b0 + d0) * half, (a1 - b1 + d1) * half, (a2 - b2 + d2) * half)
            store(3, d0, d1, d2)
          }
        }
      }
    }
    return u
  }

  /// V `[16, tiles, paddedChannels]` of the chunk's grids: V[ξ][t] = (Bᵀ d B)[ξ] for the 4×4 block d of tile t
  /// (tile (ty, tx) of image j is t = j·tilesPerImage + ty·tilesWide + tx, its block starts at grid row 2·ty,
  /// column 2·tx), 16 channels at a time. Bᵀ's rows: d₀ − d₂, d₁ + d₂, d₂ − d₁, d₁ − d₃.
  func transformInput(images: Int, grid: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
    let pitch = paddedChannels
    let (row, entry) = (gridWide * pitch, images * tilesPerImage * pitch)
    forEachTile(images: images, grid: grid, shift: 0) { corner, t in
      let out = v + t * pitch
      var c = 0
      while c < pitch {
        let d = corner + c
        // Bᵀ d, column by column.
        var (a0, a1, a2, a3) = Winograd.inputRows(
          SIMDLanes.load(d), SIMDLanes.load(d + row), SIMDLanes.load(d + 2 * row), SIMDLanes.load(d + 3 * row))
        var (b0, b1, b2, b3) = Winograd.inputRows(
          SIMDLanes.load(d + pitch), SIMDLanes.load(d + row + pitch), SIMDLanes.load(d + 2 * row + pitch),
          SIMDLanes.load(d + 3 * row + pitch))
        var (c0, c1, c2, c3) = Winograd.inputRows(
          SIMDLanes.load(d + 2 * pitch), SIMDLanes.load(d + row + 2 * pitch),
          SIMDLanes.load(d + 2 * row + 2 * pitch), SIMDLanes.load(d + 3 * row + 2 * pitch))
        var (e0, e1, e2, e3) = Winograd.inputRows(
          SIMDLanes.load(d + 3 * pitch), SIMDLanes.load(d + row + 3 * pitch),
          SIMDLanes.load(d + 2 * row + 3 * pitch), SIMDLanes.load(d + 3 * row + 3 * pitch))
        // (Bᵀ d) B, row by row: row r's entries are ξ = 4r ... 4r + 3.
        (a0, b0, c0, e0) = Winograd.inputRows(a0, b0, c0, e0)
        (a1, b1, c1, e1) = Winograd.inputRows(a1, b1, c1, e1)
        (a2, b2, c2, e2) = Winograd.inputRows(a2, b2, c2, e2)
        (a3, b3, c3, e3) = Winograd.inputRows(a3, b3, c3, e3)
        let o = out + c
        SIMDLanes.store(a0, o)
        SIMDLanes.store(b0, o + entry)
        SIMDLanes.store(c0, o + 2 * entry)
        SIMDLanes.store(e0, o + 3 * entry)
        SIMDLanes.store(a1, o + 4 * entry)
        SIMDLanes.store(b1, o + 5 * entry)
        SIMDLanes.store(c1, o + 6 * entry)
        SIMDLanes.store(e1, o + 7 * entry)
        SIMDLanes.store(a2, o + 8 * entry)
        SIMDLanes.store(b2, o + 9 * entry)
        SIMDLanes.store(c2, o + 10 * entry)
        SIMDLanes.store(e2, o + 11 * entry)
        SIMDLanes.store(a3, o + 12 * entry)
        SIMDLanes.store(b3, o + 13 * entry)
        SIMDLanes.store(c3, o + 14 * entry)
        SIMDLanes.store(e3, o + 15 * entry)
        c += SIMDLanes.width
      }
    }
  }

  /// Calls `body(corner, t)` for tile t of the chunk's grids (tile (ty, tx) of image j is t = j·tilesPerImage +
  /// ty·tilesWide + tx), `corner` the first entry of its 4×4 block: grid row 2·ty + shift, column 2·tx + shift.
  @inline(__always)
  func forEachTile(images: Int, grid: UnsafePointer<Float>, shift: Int, _ body: (UnsafePointer<Float>, Int) -> Void) {
    var t = 0
    for j in 0..<images {
      for ty in 0..<tilesHigh {
        for tx in 0..<tilesWide {
          body(grid + j * gridImage + ((2 * ty + shift) * gridWide + 2 * tx + shift) * paddedChannels, t)
          t += 1
        }
      }
    }
  }

  @inline(__always)
  static func inputRows(_ d0: Vector, _ d1: Vector, _ d2: Vector, _ d3: Vector) -> (Vector, Vector, Vector, Vector) {
    (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
  }

  /// Aᵀ's rows: m₀ + m₁ + m₂, m₁ − m₂ − m₃.
  @inline(__always)
  static func outputRows(_ m0: Vector, _ m1: Vector, _ m2: Vector, _ m3: Vector) -> (Vector, Vector) {
    (m0 + m1 + m2, m1 - m2 - m3)
  }

  /// The chunk's outputs, channel-last (`outImage` per image, rows of `2·tilesWide` positions), from the
  /// products M `[16, tiles, paddedOutputs]`: Aᵀ m A for each tile, 16 outputs at a time.
  func transformOutput(images: Int, products m: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
    let pitch = paddedOutputs
    let tiles = images * tilesPerImage
    let entry = tiles * pitch
    let row = 2 * tilesWide * pitch
    var t = 0
    for j in 0..<images {
      for ty in 0..<tilesHigh {
        for tx in 0..<tilesWide {
          let corner = out + j * outImage + (2 * ty * 2 * tilesWide + 2 * tx) * pitch
          var o = 0
          while o < pitch {
            let s = m + t * pitch + o
            // Aᵀ m, column by column (column b holds ξ = b, 4 + b, 8 + b, 12 + b).
            let (a0, a1) = Winograd.outputRows(
              SIMDLanes.load(s), SIMDLanes.load(s + 4 * entry), SIMDLanes.load(s + 8 * entry),
              SIMDLanes.load(s + 12 * entry))
            let (b0, b1) = Winograd.outputRows(
              SIMDLanes.load(s + entry), SIMDLanes.load(s + 5 * entry), SIMDLanes.load(s + 9 * entry),
              SIMDLanes.load(s + 13 * entry))
            let (c0, c1) = Winograd.outputRows(
              SIMDLanes.load(s + 2 * entry), SIMDLanes.load(s + 6 * entry), SIMDLanes.load(s + 10 * entry),
              SIMDLanes.load(s + 14 * entry))
            let (e0, e1) = Winograd.outputRows(
              SIMDLanes.load(s + 3 * entry), SIMDLanes.load(s + 7 * entry), SIMDLanes.load(s + 11 * entry),
              SIMDLanes.load(s + 15 * entry))
            let (y00, y01) = Winograd.outputRows(a0, b0, c0, e0)
            let (y10, y11) = Winograd.outputRows(a1, b1, c1, e1)
            let target = corner + o
            SIMDLanes.store(y00, target)
            SIMDLanes.store(y01, target + pitch)
            SIMDLanes.store(y10, target + row)
            SIMDLanes.store(y11, target + row + pitch)
            o += SIMDLanes.width
          }
          t += 1
        }
      }
    }
  }

  /// The products' gradient dM `[16, tiles, paddedChannels]` (the adjoint of `transformOutput`: A dy Aᵀ for
  /// each tile's 2×2 block dy of the output gradient, A's rows: y₀, y₀ + y₁, y₀ − y₁, −y₁), from the output
  /// gradient in the grids of the convolution this one's input gradient is (`fillGrid` of the output
  /// gradient, `self` with its channels the outputs: tile (ty, tx) at grid row 2·ty + 1, column 2·tx + 1, zero
  /// past the plane).
  func transformOutputGradient(images: Int, grid: UnsafePointer<Float>, into dm: UnsafeMutablePointer<Float>) {
    let pitch = paddedChannels
    let (row, entry) = (gridWide * pitch, images * tilesPerImage * pitch)
    forEachTile(images: images, grid: grid, shift: 1) { corner, t in
      let out = dm + t * pitch
      var c = 0
      while c < pitch {
        let d = corner + c
        // A dy, column by column, then (A dy) Aᵀ row by row: row r's entries are ξ = 4r ... 4r + 3.
        let (a0, a1, a2, a3) = Winograd.gradientRows(SIMDLanes.load(d), SIMDLanes.load(d + row))
        let (b0, b1, b2, b3) = Winograd.gradientRows(SIMDLanes.load(d + pitch), SIMDLanes.load(d + row + pitch))
        @inline(__always) func store(_ r: Int, _ x: Vector, _ y: Vector) {
          let (e0, e1, e2, e3) = Winograd.gradientRows(x, y)
          let o = out + 4 * r * entry + c
          SIMDLanes.store(e0, o)
          SIMDLanes.store(e1, o + entry)
          SIMDLanes.store(e2, o + 2 * entry)
          SIMDLanes.store(e3, o + 3 * entry)
        }
        store(0, a0, b0)
        store(1, a1, b1)
        store(2, a2, b2)
        store(3, a3, b3)
        c += SIMDLanes.width
      }
    }
  }

  @inline(__always)
  static func gradientRows(_ y0: Vector, _ y1: Vector) -> (Vector, Vector, Vector, Vector) {
    (y0, y0 + y1, y0 - y1, Vector() - y1)
  }

  /// Adds the weight gradient `[O, C, 3, 3]` of dU `[16, C, paddedOutputs]` (the gradient of
  /// `transformedWeights(flipped: false)`) into `target`: Gᵀ dU G for each (o, c), Gᵀ's rows u₀ + (u₁ + u₂)/2,
  /// (u₁ − u₂)/2, (u₁ + u₂)/2 + u₃.
  func addWeightGradient(_ du: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
    let (pitch, plane, lanes) = (paddedOutputs, channels * paddedOutputs, SIMDLanes.width)
    @inline(__always) func rows(_ u0: Vector, _ u1: Vector, _ u2: Vector, _ u3: Vector) -> (Vector, Vector, Vector) {
      let (sum, difference) = ((u1 + u2) * Vector(repeating: 0.5), (u1 - u2) * Vector(repeating: 0.5))
      return (u0 + sum, difference, sum + u3)
    }
    // 16 outputs at a time on vectors, their 9 taps through a small buffer into the kernels (one float at a
    // time, 1% of ResNet-18's step).
    let taps = UnsafeMutablePointer<Float>.allocate(capacity: 9 * lanes)
    defer { taps.deallocate() }
    for c in 0..<channels {
      for o in Swift.stride(from: 0, to: outputs, by: lanes) {
        let at = du + c * pitch + o
        @inline(__always) func entry(_ xi: Int) -> Vector { SIMDLanes.load(at + xi * plane) }
        // Gᵀ dU column by column (each a column of 3), then each row of the result times G.
        let (a0, a1, a2) = rows(entry(0), entry(4), entry(8), entry(12))
        let (b0, b1, b2) = rows(entry(1), entry(5), entry(9), entry(13))
        let (c0, c1, c2) = rows(entry(2), entry(6), entry(10), entry(14))
        let (d0, d1, d2) = rows(entry(3), entry(7), entry(11), entry(15))
        @inline(__always) func store(_ i: Int, _ r: (Vector, Vector, Vector)) {
          SIMDLanes.store(r.0, taps + 3 * i * lanes)
          SIMDLanes.store(r.1, taps + (3 * i + 1) * lanes)
          SIMDLanes.store(r.2, taps + (3 * i + 2) * lanes)
        }
        store(0, rows(a0, b0, c0, d0))
        store(1, rows(a1, b1, c1, d1))
        store(2, rows(a2, b2, c2, d2))
        for i in 0..<Swift.min(lanes, outputs - o) {
          let kernel = target + ((o + i) * channels + c) * 9
          for t in 0..<9 { kernel[t] += taps[t * lanes + i] }
        }
      }
    }
  }
}
