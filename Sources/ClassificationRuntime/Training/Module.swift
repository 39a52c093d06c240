internal import Foundation

/// The base of every model, as in the d2l book: a network, a loss, an optimiser, and plotting.
///
/// A subclass defines `forward`, `net`, or both. Parameters are found by reflection, so stored
/// `Tensor`s and layers of a subclass (one written in a notebook cell, too) are trained.
open class Module {
  open var lr: Double
  /// The network `forward(_:)` applies by default.
  open var net: Sequential?
  public let plotTrainPerEpoch: Int
  public let plotValidPerEpoch: Int
  public var board = ProgressBoard()
  /// Set by `Trainer.fit`: where plotted points go on the x axis.
  public internal(set) weak var trainer: Trainer?
  /// Whether the model is training (dropout on, batch normalization on the batch's statistics) or evaluating
  /// (dropout off, batch normalization on its running statistics); `Trainer` switches it.
  public var training = true {
    didSet { for case let layer as TrainingModeAware in Reflection.objects(in: self) { layer.isTraining = training } }
  }
  /// Sums weighted by batch size of what `plot` received this epoch, for exact epoch metrics.
  var epochSums: [String: (total: Double, count: Int)] = [:]
  /// Labels in the order they were first plotted (the legend's order: train_loss, val_loss, val_acc).
  var plotOrder: [String] = []

  public init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
    self.lr = lr
    self.plotTrainPerEpoch = plotTrainPerEpoch
    self.plotValidPerEpoch = plotValidPerEpoch
  }

  open func forward(_ x: Tensor) -> Tensor {
    guard let net else {
      preconditionFailure("\(type(of: self)) has no `net`: set `net` or override `forward(_:)`")
    }
    return net(x)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    if let initializer = initializerOnFirstBatch {
      initializerOnFirstBatch = nil
      applyInit(x[0..<1], initializer)
    }
    return forward(x)
  }

  /// Applied by `applyInit` to the first batch the model sees (the book's `init_cnn`, which its models run
  /// with `apply_init` on a first batch): the ready models of the book set it.
  var initializerOnFirstBatch: Initializer?

  open func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor {
    preconditionFailure("\(type(of: self)) does not define `loss(_:_:)`; override it (Classifier uses cross-entropy)")
  }

  /// One training batch: the loss, plotted as "train_loss".
  open func trainingStep(_ batch: Batch) -> Tensor {
    let l = loss(self(batch.x), batch.y)
    plot("loss", l, train: true)
    return l
  }

  /// One validation batch: plots "val_loss".
  open func validationStep(_ batch: Batch) {
    let l = loss(self(batch.x), batch.y)
    plot("loss", l, train: false)
  }

  /// Minibatch SGD with the model's learning rate.
  open func configureOptimizers() -> Optimizer { SGD(parameters, lr: lr) }

  /// Every tensor that needs a gradient, found by reflection over stored properties (each once).
  public var parameters: [Tensor] { Reflection.parameters(in: self) }

  /// Records a value for the plot and the epoch's metrics: `train` values become `train_<key>`, the others `val_<key>`.
  ///
  /// Training points are averaged over windows of batches as in the book; validation points are the
  /// exact mean over the epoch (weighted by batch size), drawn when the epoch's validation ends.
  public func plot(_ key: String, _ value: Tensor, train: Bool) {
    let label = (train ? "train_" : "val_") + key
    if !plotOrder.contains(label) { plotOrder.append(label) }
    // Read the number without recording it in the graph: this runs on every batch.
    let v = Double(value.count == 1 ? value.item : withoutGrad { value.mean().item })
    let batchSize = trainer?.currentBatchSize ?? 1
    epochSums[label, default: (0, 0)].total += v * Double(batchSize)
    epochSums[label, default: (0, 0)].count += batchSize
    guard let trainer else { return }
    board.xLabel = "epoch"
    if train {
      let x = Double(trainer.trainBatchIndex) / Double(max(trainer.numTrainBatches, 1))
      let everyN = max(trainer.numTrainBatches / max(plotTrainPerEpoch, 1), 1)
      board.draw(x: x, y: v, label: label, everyN: everyN)
    }
  }

  /// Initialises the weights of the Linear and Conv2d layers; runs `sampleInput` first so lazy layers know their sizes.
  ///
  /// The sizing pass evaluates (as if `training` were false): batch normalization's running statistics and
  /// dropout's random draws are left as they were, and a sample of one example is enough.
  public func applyInit(_ sampleInput: Tensor, _ initializer: Initializer) {
    // A user's own `applyInit` (the book's `model.apply_init(...)`) wins over the model's first-batch one.
    initializerOnFirstBatch = nil
    let modal = Reflection.objects(in: self).compactMap { $0 as? TrainingModeAware }
    let modes = modal.map(\.isTraining)
    for layer in modal { layer.isTraining = false }
    withoutGrad { _ = forward(sampleInput) }
    for (layer, mode) in zip(modal, modes) { layer.isTraining = mode }
    for object in Reflection.objects(in: self) {
      if let linear = object as? Linear {
        initializer.apply(to: linear.weight, fanIn: linear.weight.shape[0], fanOut: linear.weight.shape[1])
      } else if let conv = object as? Conv2d {
        let receptive = conv.kernelSize * conv.kernelSize
        initializer.apply(to: conv.weight, fanIn: conv.weight.shape[1] * receptive, fanOut: conv.outputs * receptive)
      }
    }
  }
}
