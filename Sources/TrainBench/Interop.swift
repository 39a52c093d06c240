import ClassificationRuntime
import Foundation

/// The Swift side of `Tests/python/test_safetensors_torch.py` and `bench/safetensors_io.py`.
///
///     interop save WEIGHTS IMAGES LOGITS [BATCHES [MODEL]]  trains MODEL (lenet, the default, or bnlenet) on
///                                                   BATCHES Fashion-MNIST batches (default 100), saves it, and
///                                                   writes the first validation batch's images and the
///                                                   model's evaluation-mode logits on them (raw little-endian F32)
///     interop load WEIGHTS IMAGES LOGITS [MODEL]    loads WEIGHTS into a fresh MODEL and writes its logits on IMAGES
///     interop zoo MODEL FILE IMAGES LOGITS         one of the book's modern CNNs (`train-bench params`' names), sized
///                                                   on a first batch of zeros (evaluating), saved to FILE; its evaluation-mode
///                                                   logits on IMAGES (raw F32, N×1×side×side) written to LOGITS
///     interop bench FILE                            a model of ResNet-18's shapes (11.2 M parameters): one save and
///                                                   one load to warm up, then one of each timed; prints
///                                                   `save SECONDS load SECONDS bytes BYTES`
enum Interop {
  static func main(_ arguments: [String]) throws {
    switch (arguments.first, arguments.count) {
    case ("save", 4...6):
      try save(
        arguments[1], images: arguments[2], logits: arguments[3], batches: arguments.count > 4 ? Int(arguments[4])! : 100,
        model: model(arguments.count > 5 ? arguments[5] : "lenet"))
    case ("load", 4...5):
      try load(arguments[1], images: arguments[2], logits: arguments[3], model: model(arguments.count > 4 ? arguments[4] : "lenet"))
    case ("bench", 2): try bench(arguments[1])
    case ("zoo", 5): try zoo(arguments[1], file: arguments[2], images: arguments[3], logits: arguments[4])
    default:
      FileHandle.standardError.write(Data("usage: train-bench interop save|load|bench …\n".utf8))
      exit(2)
    }
  }

  static func model(_ name: String) -> Classifier {
    switch name {
    case "lenet": return LeNet()
    case "bnlenet": return BNLeNet()
    default:
      FileHandle.standardError.write(Data("unknown model \(name): lenet or bnlenet\n".utf8))
      exit(2)
    }
  }

  static func save(_ weights: String, images: String, logits: String, batches: Int, model: Classifier) throws {
    Random.seed(0)
    let data = try FashionMNIST(batchSize: 64, directory: nil)
    // Adam (lr 0.002): sigmoid LeNet under SGD, or Adam at 0.01, stays at chance for over 100 batches,
    // and its logits would hardly differ between images.
    let optimizer = Adam(model.parameters, lr: 0.002)
    for (i, batch) in data.trainDataloader().enumerated() where i < batches {
      let loss = model.loss(model(batch.x), batch.y)
      optimizer.zeroGrad()
      loss.backward()
      withoutGrad { optimizer.step() }
    }
    try model.save(to: weights)
    var validation = data.valDataloader().makeIterator()
    let batch = validation.next()!
    model.training = false
    try write(batch.x.scalars, to: images)
    try write(withoutGrad { model(batch.x) }.scalars, to: logits)
  }

  static func load(_ weights: String, images: String, logits: String, model: Classifier) throws {
    try model.load(from: weights)
    model.training = false
    let pixels = try read(images)
    let x = Tensor(shape: [pixels.count / 784, 1, 28, 28], scalars: pixels)
    try write(withoutGrad { model(x) }.scalars, to: logits)
  }

  /// ResNet-18's convolutions and dense layer for one input channel and ten classes (no batch norm).
  final class ResNetShapes: Module {
    let convs: [Conv2d]
    let fc = Linear(inputs: 512, outputs: 10)

    override init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
      var specs: [(inputs: Int, outputs: Int, kernel: Int)] = [(1, 64, 7)]
      var channels = 64
      for (stage, width) in [64, 128, 256, 512].enumerated() {
        for block in 0..<2 {
          let inputs = block == 0 ? channels : width
          specs += [(inputs, width, 3), (width, width, 3)]
          if block == 0 && stage > 0 { specs.append((inputs, width, 1)) }
        }
        channels = width
      }
      convs = specs.map { spec in
        let conv = Conv2d(outputs: spec.outputs, kernelSize: spec.kernel)
        _ = conv(Tensor(zeros: [1, spec.inputs, spec.kernel, spec.kernel]))  // sizes it
        return conv
      }
      super.init(lr: lr)
    }
  }

  static func bench(_ file: String) throws {
    Random.seed(0)
    let model = ResNetShapes()
    func seconds(_ body: () throws -> Void) rethrows -> Double {
      let started = DispatchTime.now()
      try body()
      return Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
    }
    try model.save(to: file)
    try model.load(from: file)
    let save = try seconds { try model.save(to: file) }
    let load = try seconds { try model.load(from: file) }
    let bytes = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
    let count = model.parameters.reduce(0) { $0 + $1.count }
    print(String(format: "save %.6f load %.6f bytes %d parameters %d", save, load, bytes, count))
  }

  static func zoo(_ kind: String, file: String, images: String, logits: String) throws {
    Random.seed(0)
    guard let (model, side) = ModernCNNs.model(kind) else {
      FileHandle.standardError.write(Data("unknown model \(kind)\n".utf8))
      exit(2)
    }
    model.board.display = false
    // Sized while evaluating, as the anchor's `build` does: the scratch batch norm's moving statistics are
    // in neither state dict (the book keeps them as plain attributes), so they must stay where they start.
    model.training = false
    withoutGrad { _ = model(Tensor(zeros: [2, 1, side, side])) }
    try model.save(to: file)
    let pixels = try read(images)
    let x = Tensor(shape: [pixels.count / (side * side), 1, side, side], scalars: pixels)
    try write(withoutGrad { model(x) }.scalars, to: logits)
  }

  static func write(_ values: [Float], to path: String) throws {
    try values.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
  }

  static func read(_ path: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
  }
}
