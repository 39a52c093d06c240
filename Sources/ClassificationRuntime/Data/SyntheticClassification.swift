internal import Foundation

/// Gaussian clusters, one per class: a small data set that needs no files (tests, examples).
public final class SyntheticClassification: DataModule {
  public let trainX, trainY, valX, valY: Tensor
  public let numClasses: Int

  public init(
    numTrain: Int = 1000, numVal: Int = 200, numFeatures: Int = 2, numClasses: Int = 3, spread: Float = 0.5,
    batchSize: Int = 32, seed: UInt64 = 42
  ) {
    var generator = Xoshiro(seed: seed)
    let centres = (0..<(numClasses * numFeatures)).map { _ in generator.nextFloat() * 4 - 2 }
    func sample(_ n: Int) -> (Tensor, Tensor) {
      var x = [Float]()
      var y = [Float]()
      for _ in 0..<n {
        let c = Int(generator.next() % UInt64(numClasses))
        for f in 0..<numFeatures {
          let u1 = max(generator.nextFloat(), .leastNormalMagnitude)
          let u2 = generator.nextFloat()
          x.append(
            centres[c * numFeatures + f] + spread * (-2 * Foundation.log(u1)).squareRoot()
              * Foundation.cos(2 * .pi * u2))
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
  public override func valDataloader() -> DataLoader { loader(valX, valY, shuffle: false) }

  private func loader(_ x: Tensor, _ y: Tensor, shuffle: Bool) -> DataLoader {
    let features = x.shape[1]
    return DataLoader(numExamples: x.shape[0], batchSize: batchSize, shuffle: shuffle) { indices in
      var xs = [Float]()
      var ys = [Float]()
      xs.reserveCapacity(indices.count * features)
      for i in indices {
        xs += x.scalars[(i * features)..<((i + 1) * features)]
        ys.append(y.scalars[i])
      }
      return Batch(x: Tensor(shape: [indices.count, features], scalars: xs), y: Tensor(ys))
    }
  }
}
