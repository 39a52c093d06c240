import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(2)) struct ReductionGradientTests {
  @Test func sumsAndMeans() {
    let x = random([2, 3, 4])
    checkGradients([x]) { $0[0].sum() }
    checkGradients([x]) { $0[0].mean() }
    for axis in [0, 1, 2, -1] {
      checkGradients([x]) { $0[0].sum(axis: axis) }
      checkGradients([x]) { $0[0].mean(axis: axis, keepingDims: true) }
    }
  }

  @Test func maxAlongAnAxis() {
    // Distinct values, so the maximum is unique and differentiable.
    let x = Tensor(shape: [2, 3, 2], scalars: [0.1, 0.9, -0.4, 0.3, 0.7, -0.8, 0.5, -0.2, 0.25, 0.65, -0.6, 0.45])
    checkGradients([x]) { $0[0].max(axis: 1) }
    checkGradients([x]) { $0[0].max(axis: -1, keepingDims: true) }
  }

  @Test func softmaxAndLogSoftmax() {
    let x = random([3, 4], lower: -2, upper: 2)
    checkGradients([x]) { $0[0].softmax(axis: 1) }
    checkGradients([x]) { $0[0].logSoftmax(axis: 1) }
    checkGradients([random([2, 3, 2])]) { $0[0].softmax(axis: 1) }
    checkGradients([random([2, 3, 2])]) { $0[0].logSoftmax(axis: 0) }
  }
}
