/// Two hidden layers, each followed by dropout while training.
open class DropoutMLP: Classifier {
  public init(
    numOutputs: Int = 10, numHiddens1: Int = 256, numHiddens2: Int = 256, dropout1: Float = 0.5,
    dropout2: Float = 0.5, lr: Double = 0.1
  ) {
    super.init(lr: lr)
    net = Sequential(
      Flatten(), Linear(outputs: numHiddens1), ReLU(), Dropout(dropout1), Linear(outputs: numHiddens2), ReLU(),
      Dropout(dropout2), Linear(outputs: numOutputs))
  }
}
