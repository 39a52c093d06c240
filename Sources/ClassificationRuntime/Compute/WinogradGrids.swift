/// The copies between the convolution's planes (`[N, C, H, W]`, or the column layout) and Winograd's
/// channel-last grids: 16 positions × 16 channels at a time, transposed in registers (`transpose16`). One
/// float at a time, these copies (strided stores or loads) took 6% of ResNet-18's training step.
extension Winograd {
  /// Where each position (y, x) of the plane is in an image's input grid (`fillGrid`) or output grid
  /// (`emptyGrid`), in floats.
  func gridOffsets(output: Bool) -> [Int] {
    (0..<height * width).map { q in
      let (y, x) = (q / width, q % width)
      return output ? (y * 2 * tilesWide + x) * paddedOutputs : ((y + 1) * gridWide + x + 1) * paddedChannels
    }
  }

  /// Copies plane (j, c) of the chunk, at `source + j·imageStride + c·channelStride`, into the interior of
  /// image j's grid (whose border stays zero).
  func fillGrid(
    images: Int, source: UnsafePointer<Float>, imageStride: Int, channelStride: Int, grid: UnsafeMutablePointer<Float>
  ) {
    let (area, lanes) = (height * width, SIMDLanes.width)
    let (wholePositions, wholeChannels) = (area / lanes * lanes, channels / lanes * lanes)
    gridOffsets(output: false).withUnsafeBufferPointer { offsets in
      let offsets = offsets.baseAddress!
      for j in 0..<images {
        let (image, planes) = (grid + j * gridImage, source + j * imageStride)
        for c in Swift.stride(from: 0, to: wholeChannels, by: lanes) {
          for p in Swift.stride(from: 0, to: wholePositions, by: lanes) {
            let from = planes + c * channelStride + p
            Winograd.transpose16(
              row: { SIMDLanes.load(from + $0 * channelStride) },
              column: { k, v in SIMDLanes.store(v, image + offsets[p + k] + c) })
          }
        }
        // The rest one at a time: positions past the last 16, channels past the last 16.
        for c in 0..<channels {
          let from = planes + c * channelStride
          for q in (c < wholeChannels ? wholePositions : 0)..<area { image[offsets[q] + c] = from[q] }
        }
      }
    }
  }

  /// Adds `bias` (if any) and copies image j's channel-last outputs into plane (j, o) at
  /// `target + j·imageStride + o·channelStride`.
  func emptyGrid(
    images: Int, from grid: UnsafePointer<Float>, bias: UnsafePointer<Float>?, target: UnsafeMutablePointer<Float>,
    imageStride: Int, channelStride: Int
  ) {
    let (area, lanes) = (height * width, SIMDLanes.width)
    let (wholePositions, wholeOutputs) = (area / lanes * lanes, outputs / lanes * lanes)
    gridOffsets(output: true).withUnsafeBufferPointer { offsets in
      let offsets = offsets.baseAddress!
      for j in 0..<images {
        let (image, planes) = (grid + j * outImage, target + j * imageStride)
        for o in Swift.stride(from: 0, to: wholeOutputs, by: lanes) {
          for p in Swift.stride(from: 0, to: wholePositions, by: lanes) {
            let to = planes + o * channelStride + p
            Winograd.transpose16(
              row: { SIMDLanes.load(image + offsets[p + $0] + o) },
              column: { k, v in SIMDLanes.store(v + Vector(repeating: bias?[o + k] ?? 0), to + k * channelStride) })
          }
        }
        for o in 0..<outputs {
          let (to, shift) = (planes + o * channelStride, bias?[o] ?? 0)
          for q in (o < wholeOutputs ? wholePositions : 0)..<area { to[q] = image[offsets[q] + o] + shift }
        }
      }
    }
  }

  /// Splits two vectors' lanes into the even and the odd ones of the pair (a `vpermi2ps` each with AVX-512;
  /// SIMD32's `evenHalf` and `oddHalf` were calls, not inlined, a loop of one lane at a time each).
  @inline(__always)
  static func unshuffle(_ a: Vector, _ b: Vector) -> (Vector, Vector) {
    var (even, odd) = (Vector(), Vector())
    for i in 0..<8 {
      even[i] = a[2 * i]
      even[i + 8] = b[2 * i]
      odd[i] = a[2 * i + 1]
      odd[i + 8] = b[2 * i + 1]
    }
    return (even, odd)
  }

  /// The 16 × 16 transpose: `column(k, v)` gets lane i of `v` = lane k of `row(i)`. Four rounds of
  /// `unshuffle` on pairs of vectors each move one bit of the lane index into the vector index (and the
  /// vector's into the lane's), reversed; the rows go in, and the columns come out, in bit-reversed order.
  @inline(__always)
  static func transpose16(row: (Int) -> Vector, column: (Int, Vector) -> Void) {
    var (s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) = (
      row(0), row(8), row(4), row(12), row(2), row(10), row(6), row(14),
      row(1), row(9), row(5), row(13), row(3), row(11), row(7), row(15)
    )
    (s0, s8) = unshuffle(s0, s8)
    (s1, s9) = unshuffle(s1, s9)
    (s2, s10) = unshuffle(s2, s10)
    (s3, s11) = unshuffle(s3, s11)
    (s4, s12) = unshuffle(s4, s12)
    (s5, s13) = unshuffle(s5, s13)
    (s6, s14) = unshuffle(s6, s14)
    (s7, s15) = unshuffle(s7, s15)
    (s0, s4) = unshuffle(s0, s4)
    (s1, s5) = unshuffle(s1, s5)
    (s2, s6) = unshuffle(s2, s6)
    (s3, s7) = unshuffle(s3, s7)
    (s8, s12) = unshuffle(s8, s12)
    (s9, s13) = unshuffle(s9, s13)
    (s10, s14) = unshuffle(s10, s14)
    (s11, s15) = unshuffle(s11, s15)
    (s0, s2) = unshuffle(s0, s2)
    (s1, s3) = unshuffle(s1, s3)
    (s4, s6) = unshuffle(s4, s6)
    (s5, s7) = unshuffle(s5, s7)
    (s8, s10) = unshuffle(s8, s10)
    (s9, s11) = unshuffle(s9, s11)
    (s12, s14) = unshuffle(s12, s14)
    (s13, s15) = unshuffle(s13, s15)
    (s0, s1) = unshuffle(s0, s1)
    (s2, s3) = unshuffle(s2, s3)
    (s4, s5) = unshuffle(s4, s5)
    (s6, s7) = unshuffle(s6, s7)
    (s8, s9) = unshuffle(s8, s9)
    (s10, s11) = unshuffle(s10, s11)
    (s12, s13) = unshuffle(s12, s13)
    (s14, s15) = unshuffle(s14, s15)
    column(0, s0)
    column(8, s1)
    column(4, s2)
    column(12, s3)
    column(2, s4)
    column(10, s5)
    column(6, s6)
    column(14, s7)
    column(1, s8)
    column(9, s9)
    column(5, s10)
    column(13, s11)
    column(3, s12)
    column(11, s13)
    column(7, s14)
    column(15, s15)
  }
}
