internal import Foundation

/// The real Fashion-MNIST: 60 000 training and 10 000 validation images of 28×28 clothing items in
/// ten classes, from Debian's `dataset-fashion-mnist` (or `FASHION_MNIST_DIR`).
///
/// Images are kept as bytes (47 MB) and converted to `Float` in [0, 1] one batch at a time.
public final class FashionMNIST: DataModule {
  public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
  public static let labels = [
    "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot",
  ]

  public let resize: (Int, Int)
  public let trainImages: [UInt8], trainLabels: [UInt8]
  public let valImages: [UInt8], valLabels: [UInt8]
  /// Why loading failed, when it did (the data loaders are then empty).
  public let loadError: DataSetError?

  /// Loads the data set; when it is missing, the cell reports a clear error (naming the package and
  /// `FASHION_MNIST_DIR`) without ending the session, and the data loaders are empty.
  public convenience init(batchSize: Int = 64, resize: (Int, Int) = (28, 28)) {
    do {
      try self.init(batchSize: batchSize, resize: resize, directory: nil)
    } catch {
      let failure = error as? DataSetError ?? .unreadable(file: Self.directory(nil), reason: "\(error)")
      self.init(failed: failure, batchSize: batchSize, resize: resize)
      CellError.report(name: "DataSetError", value: failure.description)
    }
  }

  /// Loads from `directory` (default: `FASHION_MNIST_DIR`, else Debian's folder); throws when it is missing.
  public init(batchSize: Int = 64, resize: (Int, Int) = (28, 28), directory: String?) throws {
    let dir = Self.directory(directory)
    func load(_ file: String, rank: Int) throws -> [UInt8] {
      let path = dir + "/" + file
      guard FileManager.default.fileExists(atPath: path) else { throw DataSetError.missing(directory: dir, file: file) }
      let (shape, bytes) = try IDX.read(path)
      guard shape.count == rank, rank == 1 || Array(shape.dropFirst()) == [28, 28] else {
        throw DataSetError.malformed(file: file, reason: "unexpected shape \(shape)")
      }
      return bytes
    }
    trainImages = try load("train-images-idx3-ubyte.gz", rank: 3)
    trainLabels = try load("train-labels-idx1-ubyte.gz", rank: 1)
    valImages = try load("t10k-images-idx3-ubyte.gz", rank: 3)
    valLabels = try load("t10k-labels-idx1-ubyte.gz", rank: 1)
    guard trainImages.count == trainLabels.count * 784, valImages.count == valLabels.count * 784 else {
      throw DataSetError.malformed(file: dir, reason: "image and label counts differ")
    }
    self.resize = resize
    loadError = nil
    super.init(batchSize: batchSize)
  }

  private init(failed: DataSetError, batchSize: Int, resize: (Int, Int)) {
    (trainImages, trainLabels, valImages, valLabels) = ([], [], [], [])
    self.resize = resize
    loadError = failed
    super.init(batchSize: batchSize)
  }

  static func directory(_ explicit: String?) -> String {
    explicit ?? ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"] ?? defaultDirectory
  }

  public var numTrain: Int { trainLabels.count }
  public var numVal: Int { valLabels.count }

  public override func trainDataloader() -> DataLoader { loader(trainImages, trainLabels, shuffle: true) }
  /// Fashion-MNIST always has validation data (its test set), so no unwrapping is needed.
  public override func valDataloader() -> DataLoader { loader(valImages, valLabels, shuffle: false) }

  /// The text labels of class indices.
  public func textLabels(_ indices: [Int]) -> [String] { indices.map { Self.labels[$0] } }

  private func loader(_ images: [UInt8], _ labels: [UInt8], shuffle: Bool) -> DataLoader {
    let (h, w) = resize
    // Batches only read the immutable image bytes, so the next one can be built while this one trains.
    return DataLoader(numExamples: labels.count, batchSize: batchSize, shuffle: shuffle, prefetch: true) { indices in
      let x = [Float](unsafeUninitializedCapacity: indices.count * h * w) { out, n in
        images.withUnsafeBufferPointer { img in
          // Plain pointers, so the byte-to-float loop vectorises (this runs for every image of every epoch).
          let (bytes, floats) = (img.baseAddress!, out.baseAddress!)
          for (row, i) in indices.enumerated() {
            let source = bytes + i * 784
            let target = floats + row * h * w
            if (h, w) == (28, 28) {
              for p in 0..<784 { target[p] = Float(source[p]) * (1 / 255) }
            } else {
              Self.bilinear(
                UnsafeBufferPointer(start: source, count: 784), 28, 28,
                into: UnsafeMutableBufferPointer(start: target, count: h * w), h, w)
            }
          }
        }
        n = indices.count * h * w
      }
      let y = indices.map { Float(labels[$0]) }
      return Batch(x: Tensor(shape: [indices.count, 1, h, w], scalars: x), y: Tensor(y))
    }
  }

  /// Bilinear resampling of one byte image into floats in [0, 1] (align-corners off, like torchvision).
  static func bilinear(
    _ src: UnsafeBufferPointer<UInt8>, _ sh: Int, _ sw: Int, into dst: UnsafeMutableBufferPointer<Float>, _ dh: Int,
    _ dw: Int
  ) {
    let sy = Float(sh) / Float(dh)
    let sx = Float(sw) / Float(dw)
    for y in 0..<dh {
      let fy = max(0, (Float(y) + 0.5) * sy - 0.5)
      let y0 = min(Int(fy), sh - 1)
      let y1 = min(y0 + 1, sh - 1)
      let ty = fy - Float(y0)
      for x in 0..<dw {
        let fx = max(0, (Float(x) + 0.5) * sx - 0.5)
        let x0 = min(Int(fx), sw - 1)
        let x1 = min(x0 + 1, sw - 1)
        let tx = fx - Float(x0)
        let top = Float(src[y0 * sw + x0]) * (1 - tx) + Float(src[y0 * sw + x1]) * tx
        let bottom = Float(src[y1 * sw + x0]) * (1 - tx) + Float(src[y1 * sw + x1]) * tx
        dst[y * dw + x] = (top * (1 - ty) + bottom * ty) / 255
      }
    }
  }
}
