import CZlib
import Foundation
import Testing

@testable import ClassificationRuntime

/// Writes an IDX file of unsigned bytes, gzip-compressed or plain.
func writeIDX(_ path: String, shape: [Int], bytes: [UInt8], gzip: Bool) {
  var data: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
  for d in shape { data += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
  data += bytes
  if gzip {
    let file = gzopen(path, "wb")!
    _ = data.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
  } else {
    #expect(FileManager.default.createFile(atPath: path, contents: Data(data)))
  }
}

/// The labels of one pass over `loader`, shuffled with `generator`.
func labels(_ loader: DataLoader, _ generator: inout Xoshiro) -> [Float] {
  var iterator = loader.makeIterator(using: &generator)
  var labels: [Float] = []
  while let batch = iterator.next() { labels += batch.y.scalars }
  return labels
}

@Suite(.seededRandom(1)) struct DataTests {
  let directory: String = {
    let d = NSTemporaryDirectory() + "idx-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  @Test func readsGzippedAndPlainIDX() throws {
    let bytes = (0..<(2 * 3 * 4)).map { UInt8($0 * 10 % 256) }
    writeIDX(directory + "/a.gz", shape: [2, 3, 4], bytes: bytes, gzip: true)
    writeIDX(directory + "/b", shape: [5], bytes: [1, 2, 3, 4, 5], gzip: false)
    let a = try IDX.read(directory + "/a.gz")
    #expect(a.shape == [2, 3, 4] && a.bytes == bytes)
    let b = try IDX.read(directory + "/b")
    #expect(b.bytes == [1, 2, 3, 4, 5])
  }

  @Test func rejectsMalformedIDX() {
    #expect(FileManager.default.createFile(atPath: directory + "/bad", contents: Data([1, 2, 3, 4, 5])))
    #expect(throws: DataSetError.self) { try IDX.read(directory + "/bad") }
    writeIDX(directory + "/short", shape: [10], bytes: [1, 2], gzip: false)
    #expect(throws: DataSetError.self) { try IDX.read(directory + "/short") }
  }

  @Test func aMissingDataSetNamesThePackageAndTheVariable() {
    do {
      _ = try FashionMNIST(batchSize: 8, directory: directory + "/nowhere")
      Issue.record("no error")
    } catch let error as DataSetError {
      guard case .missing = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(error.description.contains("dataset-fashion-mnist") && error.description.contains("FASHION_MNIST_DIR"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func loadsASmallFashionMNISTFolderAndShufflesReproducibly() throws {
    let images = (0..<(6 * 784)).map { UInt8($0 % 251) }
    for prefix in ["train", "t10k"] {
      writeIDX(directory + "/\(prefix)-images-idx3-ubyte.gz", shape: [6, 28, 28], bytes: images, gzip: true)
      writeIDX(directory + "/\(prefix)-labels-idx1-ubyte.gz", shape: [6], bytes: [0, 1, 2, 3, 4, 9], gzip: true)
    }
    let data = try FashionMNIST(batchSize: 4, directory: directory)
    #expect(data.numTrain == 6 && data.numVal == 6)
    let batches = Array(data.valDataloader())
    #expect(batches.map(\.count) == [4, 2])
    #expect(batches[0].x.shape == [4, 1, 28, 28] && batches[0].y.scalars == [0, 1, 2, 3])
    #expect(abs(batches[0].x.scalars[1] - 1 / 255) < 1e-7)
    #expect(data.textLabels([0, 9]) == ["t-shirt", "ankle boot"])
    var generator = Xoshiro(seed: 1)
    let first = labels(data.trainDataloader(), &generator)
    let second = labels(data.trainDataloader(), &generator)
    generator = Xoshiro(seed: 1)
    #expect(labels(data.trainDataloader(), &generator) == first)
    #expect(first.sorted() == [0, 1, 2, 3, 4, 9] && (first != second || first.count < 3))
    let resized = try FashionMNIST(batchSize: 2, resize: (14, 14), directory: directory)
    #expect(Array(resized.valDataloader())[0].x.shape == [2, 1, 14, 14])
  }
}

/// Short runs on the real data (Debian's dataset-fashion-mnist); the full runs are in bench/train.
@Suite(.serialized, .seededRandom(0)) struct RealFashionMNISTTests {
  static let available = FileManager.default.fileExists(
    atPath: FashionMNIST.defaultDirectory + "/train-images-idx3-ubyte.gz")

  @Test(.enabled(if: available)) func softmaxRegressionLearnsInOneEpoch() throws {
    let data = try FashionMNIST(batchSize: 256, directory: nil)
    #expect(data.numTrain == 60_000 && data.numVal == 10_000)
    let model = SoftmaxRegression(numOutputs: 10, lr: 0.1)
    model.board.display = false
    let history = Trainer(maxEpochs: 1).fit(model, data)
    #expect(history.last!.valAccuracy! > 0.75, "\(history)")
  }

  @Test(.enabled(if: available)) func mlpAndLeNetTrainOnAFewBatches() throws {
    let data = try FashionMNIST(batchSize: 128, directory: nil)
    var iterator = data.trainDataloader().makeIterator()
    let batch = iterator.next()!
    for model in [MLP(), LeNet()] as [Classifier] {
      let first = model.loss(model(batch.x), batch.y).item  // also sizes the lazy layers
      // Sigmoid LeNet barely moves in its first hundreds of SGD steps (as in the book); Adam shows the
      // whole forward/backward/update path working within a few steps.
      let optimizer = model is LeNet ? Adam(model.parameters, lr: 0.01) : model.configureOptimizers()
      for _ in 0..<60 {
        let loss = model.loss(model(batch.x), batch.y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
      }
      let last = model.loss(model(batch.x), batch.y).item
      #expect(last < first * 0.8, "\(type(of: model)): \(first) → \(last)")
    }
  }
}

@Suite(.seededRandom(8)) struct PrefetchTests {
  @Test func aPrefetchingLoaderYieldsTheSameBatchesInTheSameOrder() {
    let source = (0..<103).map(Float.init)
    func loader(prefetch: Bool) -> DataLoader {
      DataLoader(numExamples: 103, batchSize: 10, shuffle: true, prefetch: prefetch) { indices in
        Batch(
          x: Tensor(shape: [indices.count, 1], scalars: indices.map { source[$0] }),
          y: Tensor(indices.map { Float($0 % 3) }))
      }
    }
    // The default generator's path (`makeIterator()`), each pass under a generator seeded alike.
    var generator = Xoshiro(seed: 8)
    let plain = Random.using(&generator) { Array(loader(prefetch: false)).map(\.x.scalars) }
    generator = Xoshiro(seed: 8)
    let prefetched = Random.using(&generator) { Array(loader(prefetch: true)).map(\.x.scalars) }
    #expect(prefetched == plain && plain.count == 11 && plain.last?.count == 3)
    #expect(Set(plain.joined()) == Set(source))
    // Leaving an epoch early leaves a batch being built; that must be harmless.
    var iterator = loader(prefetch: true).makeIterator()
    _ = iterator.next()
  }
}
