/// The inner loops of stride-1 convolution, written on 16-lane vectors (`SIMDLanes`) so they run near the multiply-add
/// peak without building column matrices (AVX-512 with `-target-cpu native` here; other CPUs split the
/// vectors).
///
/// Both loops work on an image laid out on its padded grid: output position p = y·pitch + x, and kernel
/// tap t = (c, ky, kx) reads the input at `offsets[t] + p` (offset c·plane + ky·pitch + kx). `correlate`
/// keeps 4 outputs × 2 vectors of sums in registers: per tap, two loads feed eight multiply-adds (one
/// output × many vectors would be limited by loads; one vector × many outputs by the latency of the
/// additions). The weight gradient keeps 4 outputs × 4 taps. (The same `correlate` also computes the
/// input gradient's columns, with the output channels as its taps.)
enum ConvolutionLoops {
  typealias Vector = SIMDLanes.Vector
  @inline(__always) static var lanes: Int { SIMDLanes.width }
  /// Positions per block (`correlate` works on multiples of it).
  static let block = 2 * lanes
  /// Outputs (and, for the weight gradient, taps) per block.
  static let group = 4

  /// `out[o·outPitch + p] = Σ_t weights[o·taps + t] · source[offsets[t] + p]` for `o < outputs` (a multiple
  /// of `group`) and `p < positions` (a multiple of `block`). `source` must be readable up to the
  /// largest offset + `positions`.
  static func correlate(
    source: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, weights: UnsafePointer<Float>, outputs: Int,
    positions: Int, out: UnsafeMutablePointer<Float>, outPitch: Int
  ) {
    for o in Swift.stride(from: 0, to: outputs, by: group) {
      let (w0, w1, w2, w3) = (
        weights + o * taps, weights + (o + 1) * taps, weights + (o + 2) * taps, weights + (o + 3) * taps
      )
      for p in Swift.stride(from: 0, to: positions, by: block) {
        var (a0, b0, a1, b1, a2, b2, a3, b3) = (
          Vector(), Vector(), Vector(), Vector(), Vector(), Vector(), Vector(), Vector()
        )
        let base = source + p
        for t in 0..<taps {
          let s = base + offsets[t]
          let (x, y) = (SIMDLanes.load(s), SIMDLanes.load(s + lanes))
          let (k0, k1, k2, k3) = (
            Vector(repeating: w0[t]), Vector(repeating: w1[t]), Vector(repeating: w2[t]), Vector(repeating: w3[t])
          )
          a0 = a0.addingProduct(x, k0)
          b0 = b0.addingProduct(y, k0)
          a1 = a1.addingProduct(x, k1)
          b1 = b1.addingProduct(y, k1)
          a2 = a2.addingProduct(x, k2)
          b2 = b2.addingProduct(y, k2)
          a3 = a3.addingProduct(x, k3)
          b3 = b3.addingProduct(y, k3)
        }
        let target = out + o * outPitch + p
        SIMDLanes.store(a0, target)
        SIMDLanes.store(b0, target + lanes)
        SIMDLanes.store(a1, target + outPitch)
        SIMDLanes.store(b1, target + outPitch + lanes)
        SIMDLanes.store(a2, target + 2 * outPitch)
        SIMDLanes.store(b2, target + 2 * outPitch + lanes)
        SIMDLanes.store(a3, target + 3 * outPitch)
        SIMDLanes.store(b3, target + 3 * outPitch + lanes)
      }
    }
  }

  /// `sums[o·taps + t] += outGrad[o·gradPitch + p] · source[offsets[t] + p]` lane by lane, over the positions
  /// `p < positions` (a multiple of `lanes`) of one image, for `o < outputs` and `t < taps` (multiples of
  /// `group`). The sums stay vectors until `reduce`, so each image costs no reductions across lanes; one
  /// image's output gradient (4 rows at a time) stays in the L1 cache while every tap passes over it.
  /// Blocks of 4 outputs × 4 taps: per vector of positions, eight loads feed sixteen multiply-adds. (Written
  /// with `while` loops: with `stride` loops around it, the compiler kept only 16 vector registers and
  /// spilled the sums; 4 × 4 then ran slower than 4 × 2.)
  static func accumulateWeightGradient(
    source: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, outGrad: UnsafePointer<Float>, gradPitch: Int,
    outputs: Int, positions: Int, sums: UnsafeMutablePointer<Vector>
  ) {
    var o = 0
    while o < outputs {
      let g = outGrad + o * gradPitch
      var t = 0
      while t < taps {
        let (r0, r1, r2, r3) = (
          sums + o * taps + t, sums + (o + 1) * taps + t, sums + (o + 2) * taps + t, sums + (o + 3) * taps + t
        )
        var (s00, s01, s02, s03) = (r0[0], r0[1], r0[2], r0[3])
        var (s10, s11, s12, s13) = (r1[0], r1[1], r1[2], r1[3])
        var (s20, s21, s22, s23) = (r2[0], r2[1], r2[2], r2[3])
        var (s30, s31, s32, s33) = (r3[0], r3[1], r3[2], r3[3])
        let (x0, x1, x2, x3) = (
          source + offsets[t], source + offsets[t + 1], source + offsets[t + 2], source + offsets[t + 3]
        )
        var p = 0
        while p < positions {
          let (a, b, c, d) = (
            SIMDLanes.load(x0 + p), SIMDLanes.load(x1 + p), SIMDLanes.load(x2 + p), SIMDLanes.load(x3 + p)
          )
          let g0 = SIMDLanes.load(g + p)
          s00 = s00.addingProduct(g0, a)
          s01 = s01.addingProduct(g0, b)
          s02 = s02.addingProduct(g0, c)
          s03 = s03.addingProduct(g0, d)
          let g1 = SIMDLanes.load(g + gradPitch + p)
          s10 = s10.addingProduct(g1, a)
          s11 = s11.addingProduct(g1, b)
          s12 = s12.addingProduct(g1, c)
          s13 = s13.addingProduct(g1, d)
          let g2 = SIMDLanes.load(g + 2 * gradPitch + p)
          s20 = s20.addingProduct(g2, a)
          s21 = s21.addingProduct(g2, b)
          s22 = s22.addingProduct(g2, c)
          s23 = s23.addingProduct(g2, d)
          let g3 = SIMDLanes.load(g + 3 * gradPitch + p)
          s30 = s30.addingProduct(g3, a)
          s31 = s31.addingProduct(g3, b)
          s32 = s32.addingProduct(g3, c)
          s33 = s33.addingProduct(g3, d)
          p &+= lanes
        }
        (r0[0], r0[1], r0[2], r0[3]) = (s00, s01, s02, s03)
        (r1[0], r1[1], r1[2], r1[3]) = (s10, s11, s12, s13)
        (r2[0], r2[1], r2[2], r2[3]) = (s20, s21, s22, s23)
        (r3[0], r3[1], r3[2], r3[3]) = (s30, s31, s32, s33)
        t &+= group
      }
      o &+= group
    }
  }

  /// Adds each vector's lanes to `target` and zeroes the vectors.
  static func reduce(_ sums: UnsafeMutablePointer<Vector>, count: Int, into target: UnsafeMutablePointer<Float>) {
    for i in 0..<count {
      target[i] += SIMDLanes.total(sums[i])
      sums[i] = Vector()
    }
  }
}
