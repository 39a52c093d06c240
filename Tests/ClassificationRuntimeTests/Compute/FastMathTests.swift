import Foundation
import Testing

@testable import ClassificationRuntime

@Suite struct FastMathTests {
  @Test func expMatchesLibmToAFewUlp() {
    var worst: Float = 0
    var x: Float = -87
    while x < 88 {
      let exact = Foundation.exp(x)
      let fast = FastMath.exp(x)
      worst = max(worst, abs(fast - exact) / exact)
      x += 0.0137
    }
    #expect(worst < 4e-7, "worst relative error \(worst)")
    #expect(FastMath.exp(100) == .infinity && FastMath.exp(-100) == 0 && FastMath.exp(0) == 1)
    #expect(FastMath.sigmoid(-1000) == 0 && FastMath.sigmoid(1000) == 1 && FastMath.sigmoid(0) == 0.5)
  }
}
