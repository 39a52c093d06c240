/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast generator whose sequence
/// is fixed by its seed. A value: each copy goes on from where it was copied.
struct Xoshiro: RandomNumberGenerator, Sendable {
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

  /// The four words of state, for a checkpoint; setting them goes on from there.
  var state: [UInt64] {
    get { [s.0, s.1, s.2, s.3] }
    set { s = (newValue[0], newValue[1], newValue[2], newValue[3]) }
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
}
