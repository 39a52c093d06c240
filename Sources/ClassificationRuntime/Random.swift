@_implementationOnly import Foundation

/// The runtime's random numbers: one seedable generator (xoshiro256**), so runs can be repeated.
public enum Random {
  nonisolated(unsafe) static var generator = Xoshiro(seed: 0x5eed_2026)

  /// Restarts the sequence: parameters, shuffles and dropout masks repeat after the same seed.
  public static func seed(_ value: UInt64) { generator = Xoshiro(seed: value) }

  static func uniform(count: Int, lower: Float, upper: Float) -> [Float] {
    (0..<count).map { _ in lower + (upper - lower) * generator.nextFloat() }
  }

  /// Box–Muller, two values per pair of uniforms.
  static func normal(count: Int, mean: Float, std: Float) -> [Float] {
    var out = [Float](repeating: 0, count: count)
    var i = 0
    while i < count {
      let u1 = max(generator.nextFloat(), .leastNormalMagnitude)
      let u2 = generator.nextFloat()
      let r = (-2 * Foundation.log(u1)).squareRoot()
      out[i] = mean + std * r * Foundation.cos(2 * .pi * u2)
      if i + 1 < count { out[i + 1] = mean + std * r * Foundation.sin(2 * .pi * u2) }
      i += 2
    }
    return out
  }
}

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64.
struct Xoshiro: RandomNumberGenerator {
  private var s: (UInt64, UInt64, UInt64, UInt64)

  init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9e37_79b9_7f4a_7c15
      var z = x
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }
    s = (splitmix(), splitmix(), splitmix(), splitmix())
  }

  mutating func next() -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = s.3 << 45 | s.3 >> 19
    return result
  }

  /// Uniform in [0, 1) with 24 bits.
  mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}
