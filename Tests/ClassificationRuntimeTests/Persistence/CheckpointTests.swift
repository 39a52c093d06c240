import Foundation
import Testing

@testable import ClassificationRuntime

/// Batch normalization and dropout between two lazy layers, trained with the optimiser a test chooses:
/// everything a resumed fit must bring back (weights, running statistics, optimiser state, shuffling and
/// dropout draws).
final class DropoutNet: Classifier {
  let useAdam: Bool
  init(adam: Bool) {
    useAdam = adam
    super.init(lr: adam ? 0.01 : 0.2)
    net = Sequential(Linear(outputs: 16), BatchNorm(), ReLU(), Dropout(0.3), Linear(outputs: 3))
  }
  override func configureOptimizers() -> Optimizer {
    useAdam ? Adam(parameters, lr: lr) : SGD(parameters, lr: lr, momentum: 0.9)
  }
}

@Suite(.serialized) struct CheckpointTests {
  func data() -> SyntheticClassification {
    SyntheticClassification(numTrain: 300, numVal: 100, numFeatures: 4, numClasses: 3, spread: 0.6, batchSize: 32)
  }

  /// The metrics a fit must repeat (not the seconds it took).
  func metrics(_ history: History) -> [[String: Double]] { history.epochs.map(\.values) }

  @Test(arguments: [false, true])
  func twoEpochsThenTwoMoreAreFourEpochsToTheLastDigit(adam: Bool) throws {
    try withTemporaryDirectory { dir in
      var straight = Xoshiro(seed: 3)
      let (four, fourHistory) = Random.using(&straight) {
        let model = DropoutNet(adam: adam)
        model.board.display = false
        return (model, Trainer(maxEpochs: 4).fit(model, data()))
      }
      var first = Xoshiro(seed: 3)
      let twoHistory = Random.using(&first) {
        let model = DropoutNet(adam: adam)
        model.board.display = false
        return Trainer(maxEpochs: 2, checkpointDirectory: dir, keptCheckpoints: nil).fit(model, data())
      }
      // Every epoch's checkpoint (nil keeps all), and no temporary files left.
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["epoch-1.safetensors", "epoch-2.safetensors"])
      // Resuming takes the newest.
      #expect(metrics(twoHistory) == Array(metrics(fourHistory).prefix(2)))
      // A new session: a fresh model, and a generator somewhere else entirely.
      var elsewhere = Xoshiro(seed: 999)
      let (resumed, resumedHistory) = try Random.using(&elsewhere) {
        let model = DropoutNet(adam: adam)
        model.board.display = false
        return (model, try Trainer(maxEpochs: 4).fit(model, data(), resumingFrom: dir))
      }
      #expect(resumedHistory.epochs.map(\.epoch) == [1, 2, 3, 4])
      #expect(metrics(resumedHistory) == metrics(fourHistory))
      #expect(resumed.parameters.map(\.scalars) == four.parameters.map(\.scalars))
      // Where the generators stand afterwards: the same draws were made.
      #expect(elsewhere.state == straight.state)
    }
  }

  @Test func onlyTheNewestCheckpointsAreKept() throws {
    try withTemporaryDirectory { dir in
      var generator = Xoshiro(seed: 6)
      Random.using(&generator) {
        let model = DropoutNet(adam: false)
        model.board.display = false
        Trainer(maxEpochs: 3, checkpointDirectory: dir + "/one").fit(model, data())
        Trainer(maxEpochs: 3, checkpointDirectory: dir + "/two", keptCheckpoints: 2).fit(model, data())
      }
      let one = try FileManager.default.contentsOfDirectory(atPath: dir + "/one")
      let two = try FileManager.default.contentsOfDirectory(atPath: dir + "/two").sorted()
      #expect(one == ["epoch-3.safetensors"])
      #expect(two == ["epoch-2.safetensors", "epoch-3.safetensors"])
    }
  }

  @Test func aCheckpointHoldsTheOptimisersStateUnderPyTorchsNames() throws {
    try withTemporaryDirectory { dir in
      var generator = Xoshiro(seed: 4)
      Random.using(&generator) {
        let model = DropoutNet(adam: true)
        model.board.display = false
        Trainer(maxEpochs: 1, checkpointDirectory: dir).fit(model, data())
      }
      let h = try header(of: dir + "/epoch-1.safetensors")
      let names = Set(h.keys)
      for name in [
        "net.0.weight", "net.1.running_var", "net.1.num_batches_tracked", "net.4.bias", "optimizer.state.0.exp_avg",
        "optimizer.state.5.exp_avg_sq",
      ] {
        #expect(names.contains(name), "\(name)")
      }
      let metadata = h["__metadata__"] as! [String: String]
      #expect(metadata["swift_kernel.checkpoint.epoch"] == "1")
      #expect(metadata["swift_kernel.checkpoint.optimizer.step"] == "10")  // 300 examples in batches of 32
    }
  }

  @Test func aCheckpointThatDoesNotFitChangesNothing() throws {
    withTemporaryDirectory { dir in
      var generator = Xoshiro(seed: 5)
      Random.using(&generator) {
        let model = DropoutNet(adam: false)
        model.board.display = false
        Trainer(maxEpochs: 1, checkpointDirectory: dir).fit(model, data())
        // A model with another hidden size.
        let other = Nested()
        _ = other(Tensor(randomNormal: [1, 3]))
        let before = other.parameters.map(\.scalars)
        #expect {
          try Trainer(maxEpochs: 2).fit(other, data(), resumingFrom: dir)
        } throws: { error in
          "\(error)".contains("epoch-1.safetensors") && "\(error)".contains("missing from the file")
        }
        #expect(other.parameters.map(\.scalars) == before)
        #expect {
          try Trainer(maxEpochs: 2).fit(model, data(), resumingFrom: dir + "/nothing-here")
        } throws: { error in
          "\(error)".contains("no such file or folder")
        }
      }
    }
  }
}
