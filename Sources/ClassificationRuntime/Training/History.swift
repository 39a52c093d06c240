/// What `Trainer.fit` returns: one entry per finished epoch.
public struct History: Sendable, Equatable {
  public var epochs: [EpochMetrics] = []
  /// Whether an interrupt ended the fit early.
  public var wasStopped = false

  public init() {}

  public var last: EpochMetrics? { epochs.last }
}
