/// A one-hidden-layer perceptron from scratch.
open class MLPScratch: Classifier {
  public let W1, b1, W2, b2: Tensor

  public init(numInputs: Int = 784, numOutputs: Int = 10, numHiddens: Int = 256, lr: Double = 0.1, sigma: Float = 0.01)
  {
    W1 = Tensor(randomNormal: [numInputs, numHiddens], std: sigma, requiresGrad: true)
    b1 = Tensor(zeros: [numHiddens], requiresGrad: true)
    W2 = Tensor(randomNormal: [numHiddens, numOutputs], std: sigma, requiresGrad: true)
    b2 = Tensor(zeros: [numOutputs], requiresGrad: true)
    super.init(lr: lr)
  }

  open override func forward(_ x: Tensor) -> Tensor {
    let h = (x.reshaped([-1, W1.shape[0]]).matmul(W1) + b1).relu()
    return h.matmul(W2) + b2
  }
}
