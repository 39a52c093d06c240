import Testing

@testable import ClassificationRuntime

@Suite struct PoolingGradientTests {
  @Test func pooling() {
    let x = Tensor(shape: [1, 2, 4, 4], scalars: (0..<32).map { Float(($0 * 7) % 32) / 10 })
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].maxPool2d(kernelSize: 2) }
    checkGradients([x]) { $0[0].avgPool2d(kernelSize: 3, stride: 1) }
    let y = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    #expect(y.avgPool2d(kernelSize: 2).scalars == [2.5])
    #expect(y.maxPool2d(kernelSize: 2).scalars == [4])
  }
}
