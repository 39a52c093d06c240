/// Softmax regression from scratch: `softmax(X W + b)` with weights drawn from N(0, σ²).
open class SoftmaxRegressionScratch: Classifier {
  public let W: Tensor
  public let b: Tensor

  public init(numInputs: Int = 784, numOutputs: Int = 10, lr: Double = 0.1, sigma: Float = 0.01) {
    W = Tensor(randomNormal: [numInputs, numOutputs], std: sigma, requiresGrad: true)
    b = Tensor(zeros: [numOutputs], requiresGrad: true)
    super.init(lr: lr)
  }

  /// The predicted probabilities of each class.
  open override func forward(_ x: Tensor) -> Tensor {
    (x.reshaped([-1, W.shape[0]]).matmul(W) + b).softmax(axis: 1)
  }

  /// Cross-entropy of probabilities, as in the book's scratch section: −log ŷ[y], averaged.
  open override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor {
    -yHat.gathering(classes: y).clamped(lower: 1e-12).log().mean()
  }
}
