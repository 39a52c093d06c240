internal import Foundation

/// Batches of a data set; a training loader reshuffles on every pass.
public struct DataLoader: Sequence {
  public let batchSize: Int
  public let numExamples: Int
  public let shuffle: Bool
  /// Whether the next batch is built on another thread while the current one is used (as PyTorch's
  /// loader workers do). Only for a `makeBatch` that is safe to call from another thread.
  public let prefetch: Bool
  let makeBatch: ([Int]) -> Batch

  /// `makeBatch` builds a batch from example indices.
  public init(
    numExamples: Int, batchSize: Int, shuffle: Bool, prefetch: Bool = false, makeBatch: @escaping ([Int]) -> Batch
  ) {
    require(batchSize > 0, "batchSize must be positive")
    self.numExamples = numExamples
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.prefetch = prefetch
    self.makeBatch = makeBatch
  }

  /// The number of batches (the last one may be short).
  public var count: Int { (numExamples + batchSize - 1) / batchSize }

  /// The batches of one pass, shuffled (for a shuffling loader) with the runtime's seedable generator.
  public func makeIterator() -> Iterator {
    var order = Array(0..<numExamples)
    if shuffle { Random.withGenerator { order.shuffle(using: &$0) } }
    return Iterator(loader: self, order: order)
  }

  /// The batches of one pass, shuffled (for a shuffling loader) with `generator`.
  func makeIterator(using generator: inout some RandomNumberGenerator) -> Iterator {
    var order = Array(0..<numExamples)
    if shuffle { order.shuffle(using: &generator) }
    return Iterator(loader: self, order: order)
  }

  public struct Iterator: IteratorProtocol {
    let loader: DataLoader
    let order: [Int]
    var position = 0
    /// The next batch, being built on another thread.
    var upcoming: Prefetch?

    public mutating func next() -> Batch? {
      guard position < order.count else { return nil }
      let end = Swift.min(position + loader.batchSize, order.count)
      let batch = upcoming?.wait() ?? loader.makeBatch(Array(order[position..<end]))
      position = end
      upcoming = nil
      if loader.prefetch && position < order.count {
        let indices = Array(order[position..<Swift.min(position + loader.batchSize, order.count)])
        upcoming = Prefetch { [makeBatch = loader.makeBatch] in makeBatch(indices) }
      }
      return batch
    }
  }

  /// A batch built on a worker thread; `wait()` returns it once it is ready.
  final class Prefetch: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var batch: Batch?

    init(_ work: @escaping () -> Batch) {
      DispatchQueue.global().async {
        self.batch = work()
        self.ready.signal()
      }
    }

    func wait() -> Batch {
      ready.wait()
      return batch!
    }
  }
}
