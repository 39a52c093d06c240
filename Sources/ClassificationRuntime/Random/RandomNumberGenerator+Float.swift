extension RandomNumberGenerator {
  /// Uniform in [0, 1) with 24 bits.
  mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}
