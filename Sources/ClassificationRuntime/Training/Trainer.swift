internal import Foundation

/// Fits a model to data: epochs of training steps, each followed by a validation pass.
public final class Trainer {
  public let maxEpochs: Int
  public let gradientClipVal: Double
  public private(set) var epoch = 0
  public private(set) var trainBatchIndex = 0
  public private(set) var valBatchIndex = 0
  public private(set) var numTrainBatches = 0
  public private(set) var numValBatches = 0
  /// The size of the batch being processed (the last one of an epoch may be short).
  public private(set) var currentBatchSize = 0
  /// The request that ends a fit early: the kernel's interrupt (a test may give a trainer its own).
  var stopRequest = StopFlag.shared

  /// Where a checkpoint is written after each epoch (`epoch-<N>.safetensors`), if anywhere.
  public let checkpointDirectory: String?
  /// How many of the newest checkpoints stay in `checkpointDirectory` (`nil`: all of them).
  public let keptCheckpoints: Int?

  /// With a `checkpointDirectory`, each epoch ends by saving a checkpoint there that
  /// `fit(_:_:resumingFrom:)` continues from (like Lightning's `ModelCheckpoint` and `ckpt_path`); older
  /// ones are removed once a newer one is written, but the newest `keptCheckpoints` (one by default, as
  /// Lightning's `save_top_k`: a ResNet-18 with Adam's moments takes 134 MB an epoch).
  public init(
    maxEpochs: Int, gradientClipVal: Double = 0, checkpointDirectory: String? = nil, keptCheckpoints: Int? = 1
  ) {
    require(maxEpochs >= 0, "maxEpochs must not be negative")
    require(keptCheckpoints.map { $0 > 0 } ?? true, "keptCheckpoints must be positive (nil keeps all)")
    self.maxEpochs = maxEpochs
    self.gradientClipVal = gradientClipVal
    self.checkpointDirectory = checkpointDirectory
    self.keptCheckpoints = keptCheckpoints
  }

  /// Trains `model` on `data` and returns the metrics of each epoch. An interrupt (`stopRequest`) ends it
  /// between batches, keeping what was learnt; the history then holds the epochs that finished.
  @discardableResult
  public func fit(_ model: Module, _ data: DataModule) -> History {
    run(model, data, optimizer: model.configureOptimizers(), from: nil)
  }

  /// Continues a fit from a checkpoint (a file, or the newest in a folder) that a trainer with a
  /// `checkpointDirectory` saved: the weights, the optimiser's state, the history and the random
  /// generator come back, and training goes on from the next epoch up to `maxEpochs`. With the same data,
  /// the result is the uninterrupted fit's, to the last digit. Throws, changing nothing, when the
  /// checkpoint cannot be read or does not fit the model.
  @discardableResult
  public func fit(_ model: Module, _ data: DataModule, resumingFrom checkpoint: String) throws -> History {
    let optimizer = model.configureOptimizers()
    let resumed = try Checkpoint.load(checkpoint, into: model, optimizer: optimizer)
    return run(model, data, optimizer: optimizer, from: resumed)
  }

  private func run(_ model: Module, _ data: DataModule, optimizer: Optimizer, from resumed: Checkpoint?) -> History {
    let train = data.trainDataloader()
    let val = data.valDataloader()
    numTrainBatches = train.count
    numValBatches = val?.count ?? 0
    model.trainer = self
    model.board.xLimits = (0, Double(maxEpochs))
    model.board.begin()
    trainBatchIndex = resumed?.trainBatchIndex ?? 0
    valBatchIndex = resumed?.valBatchIndex ?? 0
    var history = resumed?.history ?? History()
    if let resumed {
      Random.generator = resumed.generator
      // The earlier epochs' validation points, so the plot shows the whole fit.
      for metrics in history.epochs {
        for label in ["val_loss", "val_acc"] {
          if let y = metrics.values[label] { model.board.draw(x: Double(metrics.epoch), y: y, label: label, everyN: 1) }
        }
      }
    }
    defer { model.board.finish() }
    for e in (resumed?.epoch ?? 0)..<max(maxEpochs, resumed?.epoch ?? 0) {
      epoch = e
      let started = DispatchTime.now()
      model.epochSums = [:]
      model.training = true
      for batch in train {
        if stopRequest.isRequested {
          history.wasStopped = true
          return history
        }
        currentBatchSize = batch.count
        let loss = model.trainingStep(batch)
        optimizer.zeroGrad()
        loss.backward()
        if gradientClipVal > 0 { clipGradients(optimizer.parameters, maxNorm: gradientClipVal) }
        withoutGrad { optimizer.step() }
        trainBatchIndex += 1
      }
      var metrics = EpochMetrics(epoch: e + 1)
      metrics.absorb(model.epochSums)
      if let val {
        model.epochSums = [:]
        model.training = false
        withoutGrad {
          for batch in val {
            if stopRequest.isRequested { break }
            currentBatchSize = batch.count
            model.validationStep(batch)
            valBatchIndex += 1
          }
        }
        model.training = true
        if stopRequest.isRequested {
          history.wasStopped = true
          return history
        }
        // The exact validation means (weighted by batch size) are the points on the plot.
        for label in model.plotOrder where label.hasPrefix("val_") {
          guard let sum = model.epochSums[label], sum.count > 0 else { continue }
          model.board.draw(x: Double(e + 1), y: sum.total / Double(sum.count), label: label, everyN: 1)
        }
        metrics.absorb(model.epochSums)
      }
      metrics.seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
      history.epochs.append(metrics)
      if let checkpointDirectory { saveCheckpoint(model, optimizer, history, epoch: e + 1, in: checkpointDirectory) }
    }
    return history
  }

  /// Saves the state after `epoch`; a failure is reported and training goes on.
  private func saveCheckpoint(_ model: Module, _ optimizer: Optimizer, _ history: History, epoch: Int, in directory: String) {
    let checkpoint = Checkpoint(
      epoch: epoch, trainBatchIndex: trainBatchIndex, valBatchIndex: valBatchIndex, history: history,
      generator: Random.generator, optimizer: optimizer.checkpointState())
    do {
      try checkpoint.save(model: model, in: directory)
      if let keptCheckpoints { Checkpoint.removeOlder(in: directory, keeping: keptCheckpoints) }
    } catch {
      print("warning: no checkpoint after epoch \(epoch): \(error)")
    }
  }

  /// Scales all gradients down so their joint L2 norm is at most `maxNorm`.
  func clipGradients(_ parameters: [Tensor], maxNorm: Double) {
    var total: Double = 0
    for p in parameters { if let g = p.grad { total += g.scalars.reduce(0) { $0 + Double($1 * $1) } } }
    let norm = total.squareRoot()
    guard norm > maxNorm else { return }
    let scale = Float(maxNorm / norm)
    for p in parameters {
      if let g = p.grad { p.grad = Tensor(shape: g.shape, scalars: g.scalars.map { $0 * scale }) }
    }
  }
}
