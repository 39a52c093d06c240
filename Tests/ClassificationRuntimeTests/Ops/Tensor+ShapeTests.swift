import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(6)) struct ShapeGradientTests {
  @Test func reshapeTransposePermuteSlice() {
    let x = random([2, 3, 4])
    checkGradients([x]) { $0[0].reshaped([4, -1]) }
    checkGradients([random([3, 5])]) { $0[0].transposed() }
    checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
    checkGradients([x]) { $0[0][1] }
    checkGradients([x]) { $0[0][0..<1] * 2 }
    checkGradients([x]) { $0[0].flattened() }
  }

  @Test func gatheringAndConcatenating() {
    checkGradients([random([3, 4])]) { $0[0].gathering(classes: Tensor([3, 0, 1])) }
    checkGradients([random([2, 3]), random([1, 3])]) { Tensor.concatenating([$0[0], $0[1]]) }
  }
}
