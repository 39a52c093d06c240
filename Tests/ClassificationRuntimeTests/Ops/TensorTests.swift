import Foundation
import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(1)) struct TensorTests {
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
}
