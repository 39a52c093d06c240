/// The metrics of one epoch; validation metrics are exact means over the whole validation set.
public struct EpochMetrics: Sendable, Equatable {
  public var epoch: Int
  public var trainLoss: Double = .nan
  public var valLoss: Double?
  public var valAccuracy: Double?
  /// Every plotted quantity's epoch mean, by label (`train_loss`, `val_loss`, `val_acc`, …).
  public var values: [String: Double] = [:]
  public var seconds: Double = 0

  public init(epoch: Int) { self.epoch = epoch }

  mutating func absorb(_ sums: [String: (total: Double, count: Int)]) {
    for (label, sum) in sums where sum.count > 0 {
      let mean = sum.total / Double(sum.count)
      values[label] = mean
      switch label {
      case "train_loss": trainLoss = mean
      case "val_loss": valLoss = mean
      case "val_acc": valAccuracy = mean
      default: break
      }
    }
  }
}
