internal import Foundation

/// Elementwise math written so LLVM vectorises the loops that call it (libm's `expf` is a call per element).
enum FastMath {
  /// e^x to about 2 ulp: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built
  /// from the exponent bits. Overflows to +inf and underflows to 0 like `expf`. Branch-free, with no
  /// checked conversions, so loops over it vectorise.
  @inline(__always)
  static func exp(_ x: Float) -> Float {
    let clamped = Swift.min(Swift.max(x, -87.3), 88.7)
    // Adding 1.5·2²³ rounds to the nearest integer n, which then sits in the low bits of the sum.
    let shifted = clamped * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-06
    var p: Float = 1.987_569_1e-4
    p = p * r + 1.398_199_9e-3
    p = p * r + 8.333_452e-3
    p = p * r + 4.166_579_6e-2
    p = p * r + 0.166_666_66
    p = p * r + 0.5
    p = p * r * r + r + 1
    let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
    let scale = Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) &<< 23))
    let result = p * scale
    return x > 88.7 ? .infinity : (x < -87.3 ? 0 : result)
  }

  @inline(__always)
  static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}
