@_implementationOnly import Foundation

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

/// Softmax regression with a (lazy) linear layer; the loss fuses log-softmax and cross-entropy.
open class SoftmaxRegression: Classifier {
  public init(numOutputs: Int = 10, lr: Double = 0.1) {
    super.init(lr: lr)
    net = Sequential(Flatten(), Linear(outputs: numOutputs))
  }
}

/// A one-hidden-layer perceptron from scratch.
open class MLPScratch: Classifier {
  public let W1, b1, W2, b2: Tensor

  public init(numInputs: Int = 784, numOutputs: Int = 10, numHiddens: Int = 256, lr: Double = 0.1, sigma: Float = 0.01) {
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

/// A one-hidden-layer perceptron with layers.
open class MLP: Classifier {
  public init(numOutputs: Int = 10, numHiddens: Int = 256, lr: Double = 0.1) {
    super.init(lr: lr)
    net = Sequential(Flatten(), Linear(outputs: numHiddens), ReLU(), Linear(outputs: numOutputs))
  }
}

/// Two hidden layers, each followed by dropout while training.
open class DropoutMLP: Classifier {
  public init(numOutputs: Int = 10, numHiddens1: Int = 256, numHiddens2: Int = 256, dropout1: Float = 0.5,
              dropout2: Float = 0.5, lr: Double = 0.1) {
    super.init(lr: lr)
    net = Sequential(
      Flatten(), Linear(outputs: numHiddens1), ReLU(), Dropout(dropout1), Linear(outputs: numHiddens2), ReLU(),
      Dropout(dropout2), Linear(outputs: numOutputs))
  }
}

/// LeNet-5 as in the book: two sigmoid convolutions with average pooling, then three dense layers.
/// Weights are Xavier-initialised on the first batch it sees (as `apply_init` does in the book).
open class LeNet: Classifier {
  private var initialised = false

  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      Conv2d(outputs: 6, kernelSize: 5, padding: 2), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Conv2d(outputs: 16, kernelSize: 5), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Flatten(), Linear(outputs: 120), Sigmoid(), Linear(outputs: 84), Sigmoid(), Linear(outputs: numClasses))
  }

  open override func forward(_ x: Tensor) -> Tensor {
    if !initialised {
      initialised = true
      applyInit(x[0..<1], .xavierUniform)
    }
    return super.forward(x)
  }
}
