/// AlexNet as in the book (section 8.1), for 224×224 input (`FashionMNIST(batchSize: 128, resize: (224, 224))`):
/// five convolutions with max pooling, two dropout-regularised dense layers of 4096. Xavier-initialised on
/// the first batch (the book's `init_cnn`).
open class AlexNet: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      Conv2d(outputs: 96, kernelSize: 11, padding: 1, stride: 4), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
      Conv2d(outputs: 256, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
      Conv2d(outputs: 384, kernelSize: 3, padding: 1), ReLU(),
      Conv2d(outputs: 384, kernelSize: 3, padding: 1), ReLU(),
      Conv2d(outputs: 256, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
      Flatten(), Linear(outputs: 4096), ReLU(), Dropout(0.5),
      Linear(outputs: 4096), ReLU(), Dropout(0.5), Linear(outputs: numClasses))
    initializerOnFirstBatch = .xavierUniform
  }
}
