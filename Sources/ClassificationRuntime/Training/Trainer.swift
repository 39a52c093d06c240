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

  public init(maxEpochs: Int, gradientClipVal: Double = 0) {
    require(maxEpochs >= 0, "maxEpochs must not be negative")
    self.maxEpochs = maxEpochs
    self.gradientClipVal = gradientClipVal
  }

  /// Trains `model` on `data` and returns the metrics of each epoch. An interrupt (`stopRequest`) ends it
  /// between batches, keeping what was learnt; the history then holds the epochs that finished.
  @discardableResult
  public func fit(_ model: Module, _ data: DataModule) -> History {
    let train = data.trainDataloader()
    let val = data.valDataloader()
    numTrainBatches = train.count
    numValBatches = val?.count ?? 0
    model.trainer = self
    model.board.xLimits = (0, Double(maxEpochs))
    model.board.begin()
    let optimizer = model.configureOptimizers()
    trainBatchIndex = 0
    valBatchIndex = 0
    var history = History()
    defer { model.board.finish() }
    for e in 0..<maxEpochs {
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
    }
    return history
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
