import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(9)) struct SequentialTests {
  @Test(arguments: [0, 1])
  func linearWithItsActivationMatchesTheLayersApart(_ which: Int) {
    let activation: Layer = which == 0 ? Sigmoid() : ReLU()
    let linear = Linear(inputs: 7, outputs: 5)
    let x = random([6, 7])
    x.requiresGrad = true
    let fused = Sequential(linear, activation)(x)
    #expect(
      fused.node!.inputIDs == [x, linear.weight, linear.bias].map(ObjectIdentifier.init))
    let r = random(fused.shape)
    (fused * r).sum().backward()
    let fusedGrads = [x, linear.weight, linear.bias].map { $0.grad!.scalars }
    for t in [x, linear.weight, linear.bias] { t.grad = nil }
    let apart = activation(x.matmul(linear.weight) + linear.bias)
    (apart * r).sum().backward()
    let apartGrads = [x, linear.weight, linear.bias].map { $0.grad!.scalars }
    #expect(zip(fused.scalars, apart.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    for (a, b) in zip(fusedGrads, apartGrads) {
      #expect(a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
    }
  }

  /// `Sequential` runs a convolution and the activation after it (and 2×2 average pooling after that) as
  /// one operation: the same output and the same gradients as the layers applied one after the other.
  /// Narrow (5 filters: the padded grid) and wide (sgemm's dense columns, where a ReLU's gradient goes from
  /// its bits straight into the columns): "same" with col2im (6 channels) and with the transposed input
  /// gradient (64), and stride 2.
  @Test(arguments: [0, 1], [false, true])
  func convolutionWithItsActivationMatchesTheLayersApart(_ which: Int, _ pooling: Bool) {
    for backend in [Backend.ownLoops, .openBLASOnly] {
      for (channels, filters, stride, side) in [(6, 5, 1, 30), (6, 40, 1, 30), (64, 70, 1, 12), (6, 40, 2, 32)] {
        var generator = Xoshiro(seed: 5)
        Random.using(&generator) {
          fusedConvolutionMatchesTheLayersApart(
            which, pooling, backend: backend, channels: channels, filters: filters, stride: stride, side: side)
        }
      }
    }
  }

  func fusedConvolutionMatchesTheLayersApart(
    _ which: Int, _ pooling: Bool, backend: Backend, channels: Int, filters: Int, stride: Int, side: Int
  ) {
    let activation: Layer = which == 0 ? Sigmoid() : ReLU()
    let conv = Conv2d(outputs: filters, kernelSize: 3, padding: 1, stride: stride)
    conv.backend = backend
    let pool = AvgPool2d(kernelSize: 2, stride: 2)
    let x = random([24, channels, side, side])
    x.requiresGrad = true
    let fused = (pooling ? Sequential(conv, activation, pool) : Sequential(conv, activation))(x)
    let out = (side - 1) / stride + 1
    #expect(fused.shape == (pooling ? [24, filters, out / 2, out / 2] : [24, filters, out, out]))
    // One operation: its inputs are the convolution's own (not a separate activation's input).
    #expect(fused.node!.inputIDs == [x, conv.weight, conv.bias].map(ObjectIdentifier.init))
    let r = random(fused.shape)
    (fused * r).sum().backward()
    let (fusedX, fusedW, fusedB) = (x.grad!.scalars, conv.weight.grad!.scalars, conv.bias.grad!.scalars)
    for t in [x, conv.weight, conv.bias] { t.grad = nil }
    let apart = pooling ? pool(activation(conv(x))) : activation(conv(x))
    (apart * r).sum().backward()
    func close(_ a: [Float], _ b: [Float], _ what: String) {
      let worst = zip(a, b).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
      #expect(a.count == b.count && worst < 1e-5, "\(what): largest relative difference \(worst)")
    }
    close(fused.scalars, apart.scalars, "output")
    close(fusedX, x.grad!.scalars, "input gradient")
    close(fusedW, conv.weight.grad!.scalars, "weight gradient")
    close(fusedB, conv.bias.grad!.scalars, "bias gradient")
  }

  /// Fusion is decided once, when the `Sequential` is built: LeNet's twelve layers run as six stages.
  @Test func leNetsLayersAreFusedWhenItsSequentialIsBuilt() throws {
    let net = try #require(LeNet().net)
    #expect(net.layers.count == 12)
    #expect(net.stages.count == 6)
    let blocks = net.stages.prefix(2).compactMap { $0 as? ConvolutionBlock }
    #expect(blocks.count == 2 && blocks.allSatisfy { $0.pooling != nil && $0.activation == .sigmoid })
    #expect(net.stages[2] is Flatten && net.stages[5] is Linear)
    #expect(net.stages[3...4].allSatisfy { ($0 as? LinearWithActivation)?.activation == .sigmoid })
  }

  /// A convolution whose output has odd sides keeps its activation fused and pools after it.
  @Test func anOddSizedConvolutionPoolsAfterItsFusedActivation() {
    let conv = Conv2d(outputs: 2, kernelSize: 3)
    let (activation, pool) = (Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2))
    let x = random([2, 1, 7, 7])
    let net = Sequential(conv, activation, pool)
    #expect(net.stages.count == 1)
    let fused = net(x)
    let apart = pool(activation(conv(x)))
    #expect(fused.shape == [2, 2, 2, 2] && fused.shape == apart.shape)
    #expect(zip(fused.scalars, apart.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
  }
}
