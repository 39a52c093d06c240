/// The Inception block of GoogLeNet (the book's section 8.4): four branches, joined along the channels.
/// `c1`…`c4` are the output channels of each branch (`c2`, `c3`: the 1×1 reduction, then the 3×3 or 5×5).
public final class Inception: Layer {
  public let b1_1: Conv2d
  public let b2_1: Conv2d, b2_2: Conv2d
  public let b3_1: Conv2d, b3_2: Conv2d
  public let b4_1: MaxPool2d, b4_2: Conv2d

  public init(_ c1: Int, _ c2: (Int, Int), _ c3: (Int, Int), _ c4: Int) {
    b1_1 = Conv2d(outputs: c1, kernelSize: 1)
    b2_1 = Conv2d(outputs: c2.0, kernelSize: 1)
    b2_2 = Conv2d(outputs: c2.1, kernelSize: 3, padding: 1)
    b3_1 = Conv2d(outputs: c3.0, kernelSize: 1)
    b3_2 = Conv2d(outputs: c3.1, kernelSize: 5, padding: 2)
    b4_1 = MaxPool2d(kernelSize: 3, stride: 1, padding: 1)
    b4_2 = Conv2d(outputs: c4, kernelSize: 1)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    let b1 = b1_1(x, activation: .relu)
    let b2 = b2_2(b2_1(x, activation: .relu), activation: .relu)
    let b3 = b3_2(b3_1(x, activation: .relu), activation: .relu)
    let b4 = b4_2(b4_1(x), activation: .relu)
    return Tensor.concatenated([b1, b2, b3, b4], alongAxis: 1)
  }
}

/// GoogLeNet as in the book (section 8.4), for 96×96 input: a stem, nine Inception blocks in three groups,
/// global average pooling and a dense layer.
open class GoogleNet: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(b1(), b2(), b3(), b4(), b5(), Linear(outputs: numClasses))
    initializerOnFirstBatch = .xavierUniform
  }

  open func b1() -> Sequential {
    Sequential(
      Conv2d(outputs: 64, kernelSize: 7, padding: 3, stride: 2), ReLU(),
      MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
  }

  open func b2() -> Sequential {
    Sequential(
      Conv2d(outputs: 64, kernelSize: 1), ReLU(), Conv2d(outputs: 192, kernelSize: 3, padding: 1), ReLU(),
      MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
  }

  open func b3() -> Sequential {
    Sequential(
      Inception(64, (96, 128), (16, 32), 32), Inception(128, (128, 192), (32, 96), 64),
      MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
  }

  open func b4() -> Sequential {
    Sequential(
      Inception(192, (96, 208), (16, 48), 64), Inception(160, (112, 224), (24, 64), 64),
      Inception(128, (128, 256), (24, 64), 64), Inception(112, (144, 288), (32, 64), 64),
      Inception(256, (160, 320), (32, 128), 128), MaxPool2d(kernelSize: 3, stride: 2, padding: 1))
  }

  open func b5() -> Sequential {
    Sequential(
      Inception(256, (160, 320), (32, 128), 128), Inception(384, (192, 384), (48, 128), 128),
      AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten())
  }
}
