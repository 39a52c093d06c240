import Testing

@testable import ClassificationRuntime

/// ReLU's gradient from the bits of its output (`positiveBits`), as a convolution's backward pass reads it
/// plane by plane from any bit: 16 at a time from any bit offset, and the earlier 8 at a time from a whole
/// byte, against the bits read one by one.
@Suite struct ReluBitsTests {
  @Test(arguments: [true, false])
  func gradientFromAnyBitMatchesTheBitsOneByOne(_ sixteen: Bool) {
    let total = 203
    let output = (0..<total).map { Float(($0 * 7919) % 11) - 5 }  // positives and non-positives, mixed
    let grad = (0..<total).map { Float($0) + 0.5 }
    let bits = ElementwiseLoops.positiveBits(output)
    #expect(bits.count == (total + 7) / 8)
    for start in 0..<24 {
      for count in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, total - start] where start + count <= total {
        var target = [Float](repeating: .nan, count: count)
        grad.withUnsafeBufferPointer { g in
          bits.withUnsafeBufferPointer { b in
            target.withUnsafeMutableBufferPointer { t in
              ElementwiseLoops.reluGradient(
                g.baseAddress! + start, bits: b.baseAddress!, from: start, into: t.baseAddress!, count: count,
                sixteen: sixteen)
            }
          }
        }
        let expected = (0..<count).map { output[start + $0] > 0 ? grad[start + $0] : 0 }
        #expect(target == expected, "start \(start), count \(count)")
      }
    }
  }
}
