import Foundation
import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(1)) struct LossesTests {
  @Test func crossEntropyIsStableAtExtremeLogits() {
    let logits = Tensor([[1000, -1000, 0], [-1000, 1000, 1000]], requiresGrad: true)
    let loss = crossEntropy(logits, Tensor([0, 1]), averaged: false)
    #expect(loss.scalars[0] == 0)
    #expect(abs(loss.scalars[1] - Float(Foundation.log(2.0))) < 1e-5)
    loss.sum().backward()
    let grad = logits.grad!.scalars
    #expect(grad.allSatisfy { $0.isFinite })
    #expect(abs(grad[4] + 0.5) < 1e-6 && abs(grad[5] - 0.5) < 1e-6)
    let logSoftmax = Tensor([[1000, -1000]]).logSoftmax(axis: 1)
    #expect(logSoftmax.scalars == [0, -2000])
  }
  @Test func crossEntropyAveragedAndPerExample() {
    let logits = random([4, 5], lower: -3, upper: 3)
    let labels = Tensor([0, 4, 2, 2])
    checkGradients([logits]) { crossEntropy($0[0], labels) }
    checkGradients([logits]) { crossEntropy($0[0], labels, averaged: false) }
  }
}
