/// Batch normalization written from tensor operations, as the book's section 8.5 does from scratch
/// (`gamma`, `beta`, and moving statistics that are not parameters). `numDims` is 2 after a dense layer,
/// 4 after a convolution. While training it normalises with the batch's mean and (biased) variance and
/// moves the moving ones towards them by 0.1; while evaluating it uses the moving ones.
///
/// `BatchNorm` is the same computation in one fused operation.
public final class BatchNormScratch: Layer, TrainingModeAware {
  /// γ and β, `[1, C]` or `[1, C, 1, 1]`.
  public let gamma: Tensor
  public let beta: Tensor
  /// The moving statistics (not parameters, and not in the book's state dict).
  private var moving: (mean: [Float], variance: [Float])
  private let statisticsShape: [Int]
  public var isTraining = true
  public let momentum: Float = 0.1
  public let eps: Float = 1e-5

  public init(numFeatures: Int, numDims: Int) {
    require(numDims == 2 || numDims == 4, "numDims must be 2 or 4, got \(numDims)")
    statisticsShape = numDims == 2 ? [1, numFeatures] : [1, numFeatures, 1, 1]
    gamma = Tensor(ones: statisticsShape, requiresGrad: true)
    beta = Tensor(zeros: statisticsShape, requiresGrad: true)
    moving = ([Float](repeating: 0, count: numFeatures), [Float](repeating: 1, count: numFeatures))
  }

  public var movingMean: Tensor { Tensor(shape: statisticsShape, scalars: moving.mean) }
  public var movingVar: Tensor { Tensor(shape: statisticsShape, scalars: moving.variance) }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    require(
      x.rank == statisticsShape.count && x.shape[1] == statisticsShape[1],
      "BatchNormScratch of \(statisticsShape[1]) features expects \(statisticsShape.count)-D input, got \(x.shape)")
    let xHat: Tensor
    if !isTraining {
      xHat = (x - movingMean) / (movingVar + eps).sqrt()
    } else {
      // The mean over every axis but the channels', keeping them for broadcasting.
      func channelMean(_ t: Tensor) -> Tensor {
        x.rank == 2
          ? t.mean(axis: 0, keepingDims: true)
          : t.mean(axis: 0, keepingDims: true).mean(axis: 2, keepingDims: true).mean(axis: 3, keepingDims: true)
      }
      let mean = channelMean(x)
      let variance = channelMean((x - mean).squared())
      xHat = (x - mean) / (variance + eps).sqrt()
      moving.mean = zip(moving.mean, mean.scalars).map { (1 - momentum) * $0 + momentum * $1 }
      moving.variance = zip(moving.variance, variance.scalars).map { (1 - momentum) * $0 + momentum * $1 }
    }
    return gamma * xHat + beta
  }
}

/// LeNet with batch normalization after each convolution and dense layer, written with the from-scratch
/// `BatchNormScratch` (the book's section 8.5.3). The book trains it with batch 128, lr 0.1, 10 epochs.
open class BNLeNetScratch: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      Conv2d(outputs: 6, kernelSize: 5), BatchNormScratch(numFeatures: 6, numDims: 4), Sigmoid(),
      AvgPool2d(kernelSize: 2, stride: 2),
      Conv2d(outputs: 16, kernelSize: 5), BatchNormScratch(numFeatures: 16, numDims: 4), Sigmoid(),
      AvgPool2d(kernelSize: 2, stride: 2), Flatten(),
      Linear(outputs: 120), BatchNormScratch(numFeatures: 120, numDims: 2), Sigmoid(),
      Linear(outputs: 84), BatchNormScratch(numFeatures: 84, numDims: 2), Sigmoid(),
      Linear(outputs: numClasses))
    initializerOnFirstBatch = .xavierUniform
  }
}

/// LeNet with batch normalization (`BatchNorm()`, PyTorch's `LazyBatchNorm2d` / `LazyBatchNorm1d`), the
/// book's section 8.5.4: 44,878 parameters for 1 input channel and 10 classes.
open class BNLeNet: Classifier {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    net = Sequential(
      Conv2d(outputs: 6, kernelSize: 5), BatchNorm(), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Conv2d(outputs: 16, kernelSize: 5), BatchNorm(), Sigmoid(), AvgPool2d(kernelSize: 2, stride: 2),
      Flatten(), Linear(outputs: 120), BatchNorm(), Sigmoid(),
      Linear(outputs: 84), BatchNorm(), Sigmoid(), Linear(outputs: numClasses))
    initializerOnFirstBatch = .xavierUniform
  }
}
