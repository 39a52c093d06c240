import Foundation
import Testing

@testable import ClassificationRuntime

@Suite struct TensorTests {
  @Test func creationAndProperties() {
    let x = Tensor([[1, 2], [3, 4]])
    #expect(x.shape == [2, 2] && x.scalars == [1, 2, 3, 4])
    #expect(Tensor([1, 2, 3]).shape == [3])
    #expect(Tensor(zeros: [2, 3]).scalars == [Float](repeating: 0, count: 6))
    #expect(Tensor(ones: [3]).sum().item == 3)
    #expect(Tensor(shape: [2, 3], scalars: (0..<6).map(Float.init))[1].scalars == [3, 4, 5])
    #expect(x.transposed().scalars == [1, 3, 2, 4])
    #expect(x.reshaped([-1]).shape == [4])
    #expect((x + 1).scalars == [2, 3, 4, 5] && (2 * x).scalars == [2, 4, 6, 8])
    #expect((x + Tensor([10, 20])).scalars == [11, 22, 13, 24])
    #expect(x.sum(axis: 1, keepingDims: true).shape == [2, 1] && x.sum(axis: 0).scalars == [4, 6])
    #expect(x.max(axis: 1).scalars == [2, 4] && x.argmax(axis: 1).scalars == [1, 1])
    #expect(x.matmul(x).scalars == [7, 10, 15, 22])
  }

  @Test func randomTensorsRepeatAfterTheSameSeed() {
    Random.seed(11)
    let a = Tensor(randomNormal: [1000], std: 2)
    Random.seed(11)
    let b = Tensor(randomNormal: [1000], std: 2)
    #expect(a.scalars == b.scalars)
    let mean = a.mean().item
    let std = ((a - mean).squared().mean().item).squareRoot()
    #expect(abs(mean) < 0.2 && abs(std - 2) < 0.2)
    let u = Tensor(randomUniform: [1000], lower: 2, upper: 3)
    #expect(u.scalars.allSatisfy { $0 >= 2 && $0 < 3 })
  }

  @Test func aDeepChainBackpropagatesAndFreesItself() {
    let x = Tensor([1.5], requiresGrad: true)
    var y = x
    for _ in 0..<100_000 { y = y * 1.0 + 0.0 }
    y = y * 2
    y.sum().backward()
    #expect(x.grad?.scalars == [2])
    // A long graph that is never differentiated is released without recursion, too.
    var z = x
    for _ in 0..<100_000 { z = z + 1 }
    z = Tensor(scalar: 0)
    #expect(z.item == 0)
  }

  @Test func noGraphIsRecordedWithoutGrad() {
    let w = Tensor([1, 2], requiresGrad: true)
    let y = withoutGrad { (w * 3).sum() }
    #expect(!y.requiresGrad && y.node == nil)
    let z = (w * 3).sum()
    #expect(z.requiresGrad && z.node != nil)
  }

  @Test func gradientsAccumulateUntilCleared() {
    let w = Tensor([1, 2], requiresGrad: true)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    #expect(w.grad?.scalars == [6, 6])
    w.zeroGrad()
    #expect(w.grad == nil)
  }

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

  @Test func dropoutScalesWhatItKeeps() {
    Random.seed(3)
    let x = Tensor(ones: [10_000])
    let y = x.dropout(0.5)
    let kept = y.scalars.filter { $0 != 0 }
    #expect(kept.allSatisfy { $0 == 2 })
    #expect(abs(Float(kept.count) / 10_000 - 0.5) < 0.03)
    let layer = Dropout(0.5)
    layer.isTraining = false
    #expect(layer(x).scalars == x.scalars)
  }

  @Test func textShowsShapeAndElidesLargeTensors() {
    let small = Tensor([[1, 2.5], [3, 4]])
    // Columns are right-aligned to the widest value.
    #expect(small.description == "Tensor(shape: [2, 2], dtype: Float32)\n[\n [   1.0, 2.5000]\n [   3.0,    4.0]\n]")
    let large = Tensor(zeros: [100, 100])
    #expect(large.description.contains("...") && large.description.split(separator: "\n").count < 15)
  }
}

@Suite struct FastMathTests {
  @Test func expMatchesLibmToAFewUlp() {
    var worst: Float = 0
    var x: Float = -87
    while x < 88 {
      let exact = Foundation.exp(x), fast = FastMath.exp(x)
      worst = max(worst, abs(fast - exact) / exact)
      x += 0.0137
    }
    #expect(worst < 4e-7, "worst relative error \(worst)")
    #expect(FastMath.exp(100) == .infinity && FastMath.exp(-100) == 0 && FastMath.exp(0) == 1)
    #expect(FastMath.sigmoid(-1000) == 0 && FastMath.sigmoid(1000) == 1 && FastMath.sigmoid(0) == 0.5)
  }
}
