import Foundation
import Testing

@testable import ClassificationRuntime

/// A model with the shapes of names PyTorch gives: nested layers, an array of layers, a Sequential in a
/// Sequential, a tensor stored directly.
final class Nested: Classifier {
  let blocks = [Linear(inputs: 3, outputs: 4), Linear(inputs: 4, outputs: 4)]
  let scale = Tensor(ones: [4], requiresGrad: true)
  override init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
    super.init(lr: lr)
    net = Sequential(ReLU(), Sequential(Linear(inputs: 4, outputs: 2)))
  }
  override func forward(_ x: Tensor) -> Tensor { net!(blocks[1](blocks[0](x)) * scale) }
}

/// A temporary folder for one test, removed after it.
@discardableResult
func withTemporaryDirectory<R>(_ body: (String) throws -> R) rethrows -> R {
  let path = NSTemporaryDirectory() + "safetensors-tests-" + UUID().uuidString
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try body(path)
}

/// A safetensors file from a header (JSON text) and data bytes, as another writer would make it.
func safetensorsBytes(_ header: String, _ data: [UInt8]) -> Data {
  var bytes = Data()
  var length = UInt64(header.utf8.count).littleEndian
  withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
  bytes.append(contentsOf: Array(header.utf8))
  bytes.append(contentsOf: data)
  return bytes
}

func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

/// The header of a file written by this runtime (to check names, dtypes and shapes as PyTorch sees them).
func header(of path: String) throws -> [String: Any] {
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  let length = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
  return try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(length)))) as! [String: Any]
}

@Suite(.seededRandom(11)) struct SafetensorsTests {
  @Test func leNetIsNamedAsPyTorchsStateDictWithLinearWeightsTransposed() throws {
    try withTemporaryDirectory { dir in
      let model = LeNet()
      _ = model(Tensor(randomNormal: [2, 1, 28, 28]))
      let path = dir + "/lenet.safetensors"
      try model.save(to: path)
      let h = try header(of: path)
      let names = h.keys.filter { $0 != "__metadata__" }.sorted()
      #expect(
        names
          == ["0", "3", "7", "9", "11"].flatMap { ["net.\($0).bias", "net.\($0).weight"] }.sorted())
      let shape = { (name: String) in (h[name] as! [String: Any])["shape"] as! [Int] }
      #expect(shape("net.0.weight") == [6, 1, 5, 5])
      #expect(shape("net.7.weight") == [120, 400])  // PyTorch's [out, in]; the runtime keeps [400, 120]
      #expect(shape("net.11.weight") == [10, 84])
      #expect((h["net.7.weight"] as! [String: Any])["dtype"] as! String == "F32")
      let metadata = h["__metadata__"] as! [String: String]
      #expect(metadata["swift_kernel.model"] == "ClassificationRuntime.LeNet")
      #expect(metadata["swift_kernel.runtime"] == StateDictFile.runtimeVersion)
      #expect(metadata["format"] == "pt")
    }
  }

  @Test func aFreshLazyModelLoadsAndComputesTheSameLogits() throws {
    try withTemporaryDirectory { dir in
      let x = Tensor(randomNormal: [3, 1, 28, 28])
      let trained = LeNet()
      let expected = withoutGrad { trained(x) }
      let path = dir + "/lenet.safetensors"
      try trained.save(to: path)
      let fresh = LeNet()
      #expect(!(fresh.net!.layers[7] as! Linear).isMaterialized)
      try fresh.load(from: path)
      #expect((fresh.net!.layers[7] as! Linear).weight.shape == [400, 120])
      // Its first batch must not re-initialise what was loaded.
      #expect(withoutGrad { fresh(x) }.scalars == expected.scalars)
      #expect(fresh.parameters.map(\.scalars) == trained.parameters.map(\.scalars))
    }
  }

  @Test func namesFollowPropertiesIndicesAndNesting() throws {
    try withTemporaryDirectory { dir in
      let model = Nested()
      let path = dir + "/nested.safetensors"
      try model.save(to: path)
      let names = try header(of: path).keys.filter { $0 != "__metadata__" }.sorted()
      #expect(
        names == [
          "blocks.0.bias", "blocks.0.weight", "blocks.1.bias", "blocks.1.weight", "net.1.0.bias", "net.1.0.weight",
          "scale",
        ])
      let other = Nested()
      try other.load(from: path)
      #expect(other.parameters.map(\.scalars) == model.parameters.map(\.scalars))
      let scratch = SoftmaxRegressionScratch(numInputs: 4, numOutputs: 3)
      try scratch.save(to: path)
      #expect(try header(of: path).keys.filter { $0 != "__metadata__" }.sorted() == ["W", "b"])
      let classifier = TwoLayer()
      _ = classifier(Tensor(randomNormal: [1, 2]))
      try classifier.save(to: path)
      #expect(
        try header(of: path).keys.filter { $0 != "__metadata__" }.sorted() == [
          "hidden.bias", "hidden.weight", "out.bias", "out.weight",
        ])
    }
  }

  @Test func readsPyTorchsLayoutAndHalfPrecision() throws {
    try withTemporaryDirectory { dir in
      // A Linear(2 → 3) as PyTorch writes it: weight [3, 2] in F16, bias [3] in BF16.
      let weight: [Float] = [1, 2, 3, 4, 5, 6]
      let halves = weight.map { Float16($0).bitPattern }
      let bias: [Float] = [0.5, -1, 2]
      let brains = bias.map { UInt16($0.bitPattern >> 16) }
      let data = halves.withUnsafeBytes { Array($0) } + brains.withUnsafeBytes { Array($0) }
      let json =
        #"{"weight":{"dtype":"F16","shape":[3,2],"data_offsets":[0,12]},"bias":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]}}"#
      let path = dir + "/linear.safetensors"
      try safetensorsBytes(json, data).write(to: URL(fileURLWithPath: path))
      let layer = Linear(outputs: 3)
      try layer.load(from: path)
      #expect(layer.weight.shape == [2, 3])
      #expect(layer.weight.scalars == [1, 3, 5, 2, 4, 6])
      #expect(layer.bias.scalars == bias)
      #expect(layer(Tensor([[1, 1]])).scalars == [3.5, 6, 13])
    }
  }

  @Test func savingALazyLayerBeforeItsFirstBatchIsAnError() throws {
    withTemporaryDirectory { dir in
      #expect {
        try MLP().save(to: dir + "/m.safetensors")
      } throws: { error in
        "\(error)".contains("net.1.weight") && "\(error)".contains("lazy layer")
      }
      #expect(!FileManager.default.fileExists(atPath: dir + "/m.safetensors"))
    }
  }
}

@Suite(.seededRandom(13)) struct BatchNormSafetensorsTests {
  @Test func resNet18IsNamedAsTheBooksPyTorchModel() {
    let names = StateDict.entries(of: ResNet18()).map(\.name)
    // The stem 7 (conv 2, batch norm 5), 2 blocks of 14 in b2, 16 + 14 in b3…b5, the dense layer 2.
    #expect(names.count == 127)
    #expect(Set(names).count == 127)
    for name in [
      "net.0.0.weight", "net.0.1.weight", "net.0.1.running_mean", "net.0.1.running_var", "net.0.1.num_batches_tracked",
      "net.b2.0.conv1.weight", "net.b2.1.bn2.running_var", "net.b3.0.conv3.weight", "net.b5.1.bn1.bias",
      "net.last.2.weight", "net.last.2.bias",
    ] {
      #expect(names.contains(name), "\(name)")
    }
    #expect(!names.contains("net.b2.0.conv3.weight"))  // conv3 is nil there, as PyTorch's None
  }

  @Test func batchNormStateRoundTripsAndSizesALazyLayer() throws {
    try withTemporaryDirectory { dir in
      let x = Tensor(randomNormal: [4, 1, 32, 32])
      let trained = ResNet(arch: [(1, 64), (1, 16)], numClasses: 3)
      _ = trained(x)  // training mode: the running statistics move, one batch tracked
      _ = trained(x)
      trained.training = false
      let expected = withoutGrad { trained(x) }
      let path = dir + "/resnet.safetensors"
      try trained.save(to: path)
      let h = try header(of: path)
      let counter = h["net.0.1.num_batches_tracked"] as! [String: Any]
      #expect(counter["dtype"] as! String == "I64")
      #expect(counter["shape"] as! [Int] == [])
      let fresh = ResNet(arch: [(1, 64), (1, 16)], numClasses: 3)
      try fresh.load(from: path)
      fresh.training = false
      let stem = fresh.net!.layers[0] as! Sequential
      let norm = stem.layers[1] as! BatchNorm
      #expect(norm.numBatchesTracked == 2)
      #expect(norm.runningMean.scalars == ((trained.net!.layers[0] as! Sequential).layers[1] as! BatchNorm).runningMean.scalars)
      #expect(withoutGrad { fresh(x) }.scalars == expected.scalars)
    }
  }
}

/// A notebook's own LeNet: the loaded weights must survive its first batch too.
final class MyLeNet: LeNet {}

@Suite(.seededRandom(14)) struct LeNetSubclassSafetensorsTests {
  @Test func aSubclassOfLeNetKeepsLoadedWeightsOnItsFirstBatch() throws {
    try withTemporaryDirectory { dir in
      let x = Tensor(randomNormal: [2, 1, 28, 28])
      let trained = MyLeNet()
      let expected = withoutGrad { trained(x) }
      try trained.save(to: dir + "/mine.safetensors")
      let fresh = MyLeNet()
      try fresh.load(from: dir + "/mine.safetensors")
      #expect(withoutGrad { fresh(x) }.scalars == expected.scalars)
    }
  }
}
