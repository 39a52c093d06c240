/// Network in network as in the book (section 8.3), for 224×224 input: NiN blocks (a convolution and two
/// 1×1 convolutions), max pooling, and global average pooling instead of dense layers.
open class NiN: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      NiN.block(outChannels: 96, kernelSize: 11, strides: 4, padding: 0), MaxPool2d(kernelSize: 3, stride: 2),
      NiN.block(outChannels: 256, kernelSize: 5, strides: 1, padding: 2), MaxPool2d(kernelSize: 3, stride: 2),
      NiN.block(outChannels: 384, kernelSize: 3, strides: 1, padding: 1), MaxPool2d(kernelSize: 3, stride: 2),
      Dropout(0.5), NiN.block(outChannels: numClasses, kernelSize: 3, strides: 1, padding: 1),
      AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten())
    initializerOnFirstBatch = .xavierUniform
  }

  /// The book's `nin_block`.
  public static func block(outChannels: Int, kernelSize: Int, strides: Int, padding: Int) -> Sequential {
    Sequential(
      Conv2d(outputs: outChannels, kernelSize: kernelSize, padding: padding, stride: strides), ReLU(),
      Conv2d(outputs: outChannels, kernelSize: 1), ReLU(),
      Conv2d(outputs: outChannels, kernelSize: 1), ReLU())
  }
}
