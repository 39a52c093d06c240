/// The residual block of ResNet (the book's section 8.6): two 3×3 convolutions with batch normalization,
/// and the input added back (through a 1×1 convolution when `use1x1Conv`, to change its channels and size).
public final class Residual: Layer {
  public let conv1: Conv2d, conv2: Conv2d
  public let conv3: Conv2d?
  public let bn1: BatchNorm, bn2: BatchNorm

  public init(numChannels: Int, use1x1Conv: Bool = false, strides: Int = 1) {
    conv1 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1, stride: strides)
    conv2 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1)
    conv3 = use1x1Conv ? Conv2d(outputs: numChannels, kernelSize: 1, stride: strides) : nil
    bn1 = BatchNorm()
    bn2 = BatchNorm()
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    var y = bn1(conv1(x), activation: .relu)
    y = bn2(conv2(y))
    let shortcut = conv3.map { $0(x) } ?? x
    return (y + shortcut).relu()
  }
}

/// ResNet as in the book (section 8.6), for 96×96 input: `arch` lists (residual blocks, channels) of each
/// module after the stem; `ResNet18` is `[(2, 64), (2, 128), (2, 256), (2, 512)]`. The network's layers are
/// named as the book's `add_module` names them: `0` (the stem), `b2`…`b5`, `last`.
open class ResNet: Classifier {
  public init(arch: [(Int, Int)], lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    let net = Sequential(b1())
    for (i, b) in arch.enumerated() {
      net.add(block(numResiduals: b.0, numChannels: b.1, firstBlock: i == 0), name: "b\(i + 2)")
    }
    net.add(
      Sequential(AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(), Linear(outputs: numClasses)), name: "last")
    self.net = net
    initializerOnFirstBatch = .xavierUniform
  }

  /// The stem: a 7×7 convolution with stride 2, batch normalization, ReLU, 3×3 max pooling with stride 2.
  open func b1() -> Sequential { ResNet.stem() }

  /// ResNet's stem, which DenseNet uses too.
  public static func stem() -> Sequential {
    Sequential(
      Conv2d(outputs: 64, kernelSize: 7, padding: 3, stride: 2), BatchNorm(), ReLU(),
      MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
  }

  /// A module of `numResiduals` residual blocks; the first halves the size and changes the channels unless
  /// it follows the stem.
  open func block(numResiduals: Int, numChannels: Int, firstBlock: Bool = false) -> Sequential {
    Sequential(
      (0..<numResiduals).map { i -> Layer in
        i == 0 && !firstBlock
          ? Residual(numChannels: numChannels, use1x1Conv: true, strides: 2) : Residual(numChannels: numChannels)
      })
  }
}

/// ResNet-18 (the book's): 11,178,378 parameters for 1 input channel and 10 classes.
open class ResNet18: ResNet {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(arch: [(2, 64), (2, 128), (2, 256), (2, 512)], lr: lr, numClasses: numClasses)
  }
}
