/// A dense block of DenseNet (the book's section 8.7): each convolution block's output is joined to its
/// input along the channels, so the channels grow by `numChannels` per block.
public final class DenseBlock: Layer {
  public let net: Sequential

  public init(numConvs: Int, numChannels: Int) {
    net = Sequential((0..<numConvs).map { _ in DenseNet.convBlock(numChannels: numChannels) as Layer })
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    var x = x
    for block in net.layers { x = Tensor.concatenated([x, block(x)], alongAxis: 1) }
    return x
  }
}

/// DenseNet as in the book (section 8.7), for 96×96 input: ResNet's stem, dense blocks of `arch` convolutions
/// each (`growthRate` channels per convolution), transition blocks halving channels and size between them.
open class DenseNet: Classifier {
  public init(
    numChannels: Int = 64, growthRate: Int = 32, arch: [Int] = [4, 4, 4, 4], lr: Double = 0.1, numClasses: Int = 10
  ) {
    super.init(lr: lr)
    let net = Sequential(b1())
    var channels = numChannels
    for (i, numConvs) in arch.enumerated() {
      net.add(DenseBlock(numConvs: numConvs, numChannels: growthRate), name: "dense_blk\(i + 1)")
      channels += numConvs * growthRate
      if i != arch.count - 1 {
        channels /= 2
        net.add(DenseNet.transitionBlock(numChannels: channels), name: "tran_blk\(i + 1)")
      }
    }
    net.add(
      Sequential(BatchNorm(), ReLU(), AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(), Linear(outputs: numClasses)),
      name: "last")
    self.net = net
    initializerOnFirstBatch = .xavierUniform
  }

  /// ResNet's stem.
  open func b1() -> Sequential { ResNet.stem() }

  /// The book's `conv_block`: batch normalization, ReLU, a 3×3 convolution.
  public static func convBlock(numChannels: Int) -> Sequential {
    Sequential(BatchNorm(), ReLU(), Conv2d(outputs: numChannels, kernelSize: 3, padding: 1))
  }

  /// The book's `transition_block`: batch normalization, ReLU, a 1×1 convolution, 2×2 average pooling.
  public static func transitionBlock(numChannels: Int) -> Sequential {
    Sequential(BatchNorm(), ReLU(), Conv2d(outputs: numChannels, kernelSize: 1), AvgPool2d(kernelSize: 2, stride: 2))
  }
}
