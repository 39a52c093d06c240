/// A one-hidden-layer perceptron with layers.
open class MLP: Classifier {
  public init(numOutputs: Int = 10, numHiddens: Int = 256, lr: Double = 0.1) {
    super.init(lr: lr)
    net = Sequential(Flatten(), Linear(outputs: numHiddens), ReLU(), Linear(outputs: numOutputs))
  }
}
