/// Softmax regression with a (lazy) linear layer; the loss fuses log-softmax and cross-entropy.
open class SoftmaxRegression: Classifier {
  public init(numOutputs: Int = 10, lr: Double = 0.1) {
    super.init(lr: lr)
    net = Sequential(Flatten(), Linear(outputs: numOutputs))
  }
}
