import Foundation
import Testing

@testable import ClassificationRuntime

/// A fixed data set of `n` examples in one split, served in batches of `batchSize`.
final class FixedData: DataModule {
  let x: Tensor, y: Tensor
  init(x: Tensor, y: Tensor, batchSize: Int) {
    (self.x, self.y) = (x, y)
    super.init(batchSize: batchSize)
  }
  override func trainDataloader() -> DataLoader { loader(shuffle: true) }
  override func valDataloader() -> DataLoader? { loader(shuffle: false) }
  private func loader(shuffle: Bool) -> DataLoader {
    let f = x.shape[1]
    return DataLoader(numExamples: x.shape[0], batchSize: batchSize, shuffle: shuffle) { idx in
      Batch(
        x: Tensor(shape: [idx.count, f], scalars: idx.flatMap { Array(self.x.scalars[($0 * f)..<(($0 + 1) * f)]) }),
        y: Tensor(idx.map { self.y.scalars[$0] }))
    }
  }
}

/// A model defined the way a notebook cell would: stored layers, found by reflection.
final class TwoLayer: Classifier {
  let hidden = Linear(outputs: 8)
  let out = Linear(outputs: 3)
  override func forward(_ x: Tensor) -> Tensor { out(hidden(x).relu()) }
}

@Suite(.serialized, .seededRandom(7)) struct TrainerTests {
  @Test(.seededRandom(5)) func validationMetricsAreExactWhenTheLastBatchIsShort() {
    let data = FixedData(x: Tensor(randomNormal: [10, 2]), y: Tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]), batchSize: 4)
    let model = TwoLayer(lr: 0.0)  // lr 0: the model does not change, so the metrics can be recomputed
    model.board.display = false
    let history = Trainer(maxEpochs: 1).fit(model, data)
    let all = withoutGrad { model(data.x) }
    let exactLoss = Double(crossEntropy(all, data.y).item)
    let exactAccuracy = Double(model.accuracy(all, data.y).item)
    let metrics = history.last!
    #expect(abs(metrics.valLoss! - exactLoss) < 1e-5)
    #expect(abs(metrics.valAccuracy! - exactAccuracy) < 1e-6)
    // The book's quick estimate (the unweighted mean of batch means) differs when the last batch is short.
    let batches = [0..<4, 4..<8, 8..<10].map { r in withoutGrad { crossEntropy(model(data.x[r]), data.y[r]).item } }
    let quick = Double(batches.reduce(0, +)) / 3
    #expect(abs(quick - exactLoss) > 1e-4)
    // The plot shows the same exact numbers.
    #expect(model.board.points("val_loss").map(\.y) == [metrics.valLoss!])
    #expect(model.board.points("val_acc").map(\.x) == [1])
  }

  @Test(.seededRandom(9)) func aModelWithStoredLayersLearnsAndItsParametersAreFound() {
    let data = SyntheticClassification(
      numTrain: 600, numVal: 200, numFeatures: 2, numClasses: 3, spread: 0.3, batchSize: 32)
    let model = TwoLayer(lr: 0.5)
    model.board.display = false
    let history = Trainer(maxEpochs: 5).fit(model, data)
    #expect(model.parameters.count == 4)
    #expect(model.parameters.map(\.shape) == [[2, 8], [8], [8, 3], [3]])
    #expect(history.epochs.count == 5)
    #expect(history.epochs.last!.trainLoss < history.epochs.first!.trainLoss)
    #expect(history.last!.valAccuracy! > 0.9)
  }

  @Test func lazyLayersMaterialiseInPlaceForAnOptimiserMadeEarlier() {
    let layer = Linear(outputs: 2)
    let optimizer = SGD(layer.parameters, lr: 0.1)
    #expect(!layer.isMaterialized)
    let loss = layer(Tensor(ones: [4, 3])).sum()
    #expect(layer.weight.shape == [3, 2])
    let before = layer.weight.scalars
    loss.backward()
    optimizer.step()
    // d(sum)/dW = Xᵀ·1 = 4 for every weight.
    #expect(zip(layer.weight.scalars, before).allSatisfy { abs($0 - ($1 - 0.4)) < 1e-6 })
  }

  @Test func sgdWithMomentumAndWeightDecay() {
    let w = Tensor([1, -2], requiresGrad: true)
    let sgd = SGD([w], lr: 0.1, momentum: 0.9, weightDecay: 0.01)
    w.grad = Tensor([0.5, 0.5])
    sgd.step()
    // v = g + wd·w; w −= lr·v
    #expect(abs(w.scalars[0] - (1 - 0.1 * (0.5 + 0.01))) < 1e-6)
    let v0 = Float(0.5 + 0.01)
    let w0 = w.scalars[0]
    sgd.step()
    #expect(abs(w.scalars[0] - (w0 - 0.1 * (0.9 * v0 + 0.5 + 0.01 * w0))) < 1e-6)
  }

  @Test func adamFollowsItsUpdateRule() {
    let w = Tensor([1], requiresGrad: true)
    let adam = Adam([w], lr: 0.1)
    w.grad = Tensor([2])
    adam.step()
    // The first bias-corrected step is lr · g/|g| (up to ε).
    #expect(abs(w.scalars[0] - 0.9) < 1e-5)
  }

  @Test func gradientClippingBoundsTheNorm() {
    let a = Tensor([3], requiresGrad: true)
    let b = Tensor([4], requiresGrad: true)
    a.grad = Tensor([3])
    b.grad = Tensor([4])
    Trainer(maxEpochs: 1).clipGradients([a, b], maxNorm: 1)
    #expect(abs(a.grad!.item - 0.6) < 1e-6 && abs(b.grad!.item - 0.8) < 1e-6)
  }

  /// A stop request (the kernel's interrupt sets the process's one) ends the fit between batches; this
  /// trainer has its own, so that fits in other tests go on.
  @Test func aStopRequestEndsTheFitBetweenBatches() {
    final class Stopper: Classifier {
      let layer = Linear(outputs: 3)
      var steps = 0
      let stop: StopFlag
      init(stop: StopFlag) {
        self.stop = stop
        super.init()
      }
      override func forward(_ x: Tensor) -> Tensor { layer(x) }
      override func trainingStep(_ batch: Batch) -> Tensor {
        steps += 1
        if steps == 3 { stop.request() }
        return super.trainingStep(batch)
      }
    }
    let data = SyntheticClassification(numTrain: 320, numVal: 64, batchSize: 32)
    let stop = StopFlag()
    let model = Stopper(stop: stop)
    model.board.display = false
    let trainer = Trainer(maxEpochs: 3)
    #expect(trainer.stopRequest === StopFlag.shared)
    trainer.stopRequest = stop
    let history = trainer.fit(model, data)
    #expect(history.wasStopped && history.epochs.isEmpty && model.steps == 3)
    #expect(!StopFlag.shared.isRequested)
  }

  @Test func dropoutIsOnWhileTrainingAndOffWhileValidating() {
    let model = DropoutMLP(numOutputs: 2, numHiddens1: 4, numHiddens2: 4)
    let dropouts = Reflection.objects(in: model).compactMap { $0 as? Dropout }
    #expect(dropouts.count == 2)
    model.training = false
    #expect(dropouts.allSatisfy { !$0.isTraining })
    model.training = true
    #expect(dropouts.allSatisfy { $0.isTraining })
  }

  @Test func accuracyAndPredictions() {
    let model = Classifier()
    let yHat = Tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    let y = Tensor([1, 1, 1])
    #expect(abs(model.accuracy(yHat, y).item - 2 / 3) < 1e-6)
    #expect(model.accuracy(yHat, y, averaged: false).scalars == [1, 0, 1])
  }

  @Test func bayesOptimalPredictionMinimisesTheExpectedLoss() {
    final class Fixed: Classifier {
      override func forward(_ x: Tensor) -> Tensor { x }  // the inputs are the logits
    }
    let model = Fixed()
    // p = softmax(logits): class 0 slightly more probable than class 1.
    let logits = Tensor([[0.2, 0, -5]])
    #expect(model.predict(logits) == [0])
    // With a 0-1 loss the Bayes decision is the most probable class.
    let zeroOne = Tensor([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    #expect(model.predict(logits, lossMatrix: zeroOne) == [0])
    // Missing a true 1 costs 10: predicting 1 has the lower expected cost.
    let costly = Tensor([[0, 1, 1], [10, 0, 1], [1, 1, 0]])
    #expect(model.predict(logits, lossMatrix: costly) == [1])
  }

  @Test func applyInitUsesXavierBounds() {
    let model = MLP(numOutputs: 10, numHiddens: 20)
    model.applyInit(Tensor(zeros: [1, 30]), .xavierUniform)
    let first = Reflection.objects(in: model).compactMap { $0 as? Linear }[0]
    let bound = (6 / Float(30 + 20)).squareRoot()
    #expect(first.weight.shape == [30, 20])
    #expect(first.weight.scalars.allSatisfy { abs($0) <= bound })
    #expect(first.weight.scalars.map(abs).max()! > bound * 0.9)
  }
}
