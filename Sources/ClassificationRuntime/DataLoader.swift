@_implementationOnly import Foundation

/// A minibatch: inputs `x` and labels `y` (class indices as a tensor).
public struct Batch {
  public var x: Tensor
  public var y: Tensor

  public init(x: Tensor, y: Tensor) {
    self.x = x
    self.y = y
  }

  /// The number of examples in the batch.
  public var count: Int { x.shape.first ?? 0 }
}

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
  public init(numExamples: Int, batchSize: Int, shuffle: Bool, prefetch: Bool = false, makeBatch: @escaping ([Int]) -> Batch) {
    precondition(batchSize > 0, "batchSize must be positive")
    self.numExamples = numExamples
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.prefetch = prefetch
    self.makeBatch = makeBatch
  }

  /// The number of batches (the last one may be short).
  public var count: Int { (numExamples + batchSize - 1) / batchSize }

  public func makeIterator() -> Iterator {
    var order = Array(0..<numExamples)
    if shuffle { order.shuffle(using: &Random.generator) }
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

/// Data for training and validation (the book's `DataModule`).
open class DataModule {
  public var batchSize: Int

  public init(batchSize: Int) { self.batchSize = batchSize }

  open func trainDataloader() -> DataLoader {
    preconditionFailure("\(type(of: self)) does not define trainDataloader()")
  }

  /// The validation data; nil when there is none (the trainer then skips validation).
  open func valDataloader() -> DataLoader? { nil }
}

/// Gaussian clusters, one per class: a small data set that needs no files (tests, examples).
public final class SyntheticClassification: DataModule {
  public let trainX, trainY, valX, valY: Tensor
  public let numClasses: Int

  public init(numTrain: Int = 1000, numVal: Int = 200, numFeatures: Int = 2, numClasses: Int = 3, spread: Float = 0.5,
              batchSize: Int = 32, seed: UInt64 = 42) {
    var generator = Xoshiro(seed: seed)
    let centres = (0..<(numClasses * numFeatures)).map { _ in generator.nextFloat() * 4 - 2 }
    func sample(_ n: Int) -> (Tensor, Tensor) {
      var x = [Float](), y = [Float]()
      for _ in 0..<n {
        let c = Int(generator.next() % UInt64(numClasses))
        for f in 0..<numFeatures {
          let u1 = max(generator.nextFloat(), .leastNormalMagnitude), u2 = generator.nextFloat()
          x.append(centres[c * numFeatures + f] + spread * (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
        }
        y.append(Float(c))
      }
      return (Tensor(shape: [n, numFeatures], scalars: x), Tensor(y))
    }
    (trainX, trainY) = sample(numTrain)
    (valX, valY) = sample(numVal)
    self.numClasses = numClasses
    super.init(batchSize: batchSize)
  }

  public override func trainDataloader() -> DataLoader { loader(trainX, trainY, shuffle: true) }
  public override func valDataloader() -> DataLoader? { loader(valX, valY, shuffle: false) }

  private func loader(_ x: Tensor, _ y: Tensor, shuffle: Bool) -> DataLoader {
    let features = x.shape[1]
    return DataLoader(numExamples: x.shape[0], batchSize: batchSize, shuffle: shuffle) { indices in
      var xs = [Float](), ys = [Float]()
      xs.reserveCapacity(indices.count * features)
      for i in indices {
        xs += x.scalars[(i * features)..<((i + 1) * features)]
        ys.append(y.scalars[i])
      }
      return Batch(x: Tensor(shape: [indices.count, features], scalars: xs), y: Tensor(ys))
    }
  }
}
