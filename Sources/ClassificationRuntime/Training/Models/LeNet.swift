/// LeNet-5 as in the book: two sigmoid convolutions with average pooling, then three dense layers.
/// Weights are Xavier-initialised on the first batch it sees (as `apply_init` does in the book).
open class LeNet: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      Conv2d(outputs: 6, kernelSize: 5, padding: 2), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Conv2d(outputs: 16, kernelSize: 5), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Flatten(), Linear(outputs: 120), Sigmoid(), Linear(outputs: 84), Sigmoid(), Linear(outputs: numClasses))
    initializerOnFirstBatch = .xavierUniform
  }
}
