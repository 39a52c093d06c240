import Foundation
import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(3)) struct TensorRandomTests {
  @Test func dropoutScalesWhatItKeeps() {
    let x = Tensor(ones: [10_000])
    let y = x.dropout(0.5)
    let kept = y.scalars.filter { $0 != 0 }
    #expect(kept.allSatisfy { $0 == 2 })
    #expect(abs(Float(kept.count) / 10_000 - 0.5) < 0.03)
    let layer = Dropout(0.5)
    layer.isTraining = false
    #expect(layer(x).scalars == x.scalars)
  }
}
