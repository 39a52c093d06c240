import Foundation
import Testing

@testable import ClassificationRuntime

/// The first `train` training and `val` validation images of the real Fashion-MNIST, as a data module.
final class FashionMNISTSlice: DataModule {
  let data: FashionMNIST
  let train: Int, val: Int
  init(_ data: FashionMNIST, train: Int, val: Int) {
    (self.data, self.train, self.val) = (data, train, val)
    super.init(batchSize: data.batchSize)
  }
  override func trainDataloader() -> DataLoader { loader(data.trainImages, data.trainLabels, train, shuffle: true) }
  override func valDataloader() -> DataLoader? { loader(data.valImages, data.valLabels, val, shuffle: false) }
  private func loader(_ images: [UInt8], _ labels: [UInt8], _ count: Int, shuffle: Bool) -> DataLoader {
    DataLoader(numExamples: count, batchSize: batchSize, shuffle: shuffle) { idx in
      Batch(
        x: Tensor(shape: [idx.count, 1, 28, 28], scalars: idx.flatMap { i in images[(i * 784)..<((i + 1) * 784)].map { Float($0) / 255 } }),
        y: Tensor(idx.map { Float(labels[$0]) }))
    }
  }
}

/// A residual block written in a cell the book's way: two convolutions, batch normalization, an optional
/// 1×1 shortcut, the sum of the branches.
final class CellResidual: Layer {
  let conv1: Conv2d, conv2: Conv2d
  let conv3: Conv2d?
  let bn1 = BatchNorm(), bn2 = BatchNorm()
  init(numChannels: Int, use1x1Conv: Bool = false, strides: Int = 1) {
    conv1 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1, stride: strides)
    conv2 = Conv2d(outputs: numChannels, kernelSize: 3, padding: 1)
    conv3 = use1x1Conv ? Conv2d(outputs: numChannels, kernelSize: 1, stride: strides) : nil
  }
  func callAsFunction(_ x: Tensor) -> Tensor {
    let y = bn2(conv2(bn1(conv1(x)).relu()))
    return (y + (conv3.map { $0(x) } ?? x)).relu()
  }
}

@Suite(.seededRandom(21)) struct ModernCNNTests {
  /// A block class of one's own works inside `Sequential`: its parameters are found (each once), batch
  /// normalization inside it follows `training`, and the gradients of the whole block match finite
  /// differences.
  @Test func userResidualBlockInSequential() {
    final class Tiny: Classifier {
      override init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
        super.init(lr: lr)
        net = Sequential(CellResidual(numChannels: 3, use1x1Conv: true, strides: 2), CellResidual(numChannels: 3), Flatten(), Linear(outputs: 2))
      }
    }
    let model = Tiny()
    let x = random([4, 2, 6, 6])
    let y = model(x)
    #expect(y.shape == [4, 2])
    // conv1, conv2, conv3 (w, b each) + bn1, bn2 (γ, β each) in the first; no conv3 in the second; the Linear.
    #expect(model.parameters.count == 10 + 8 + 2)
    model.training = false
    let norms = Reflection.objects(in: model).compactMap { $0 as? BatchNorm }
    #expect(norms.count == 4 && norms.allSatisfy { !$0.isTraining })
    model.training = true
    // Its gradients flow to every parameter of both blocks.
    model.loss(model(x), Tensor([0, 1, 1, 0])).backward()
    #expect(model.parameters.allSatisfy { p in p.grad.map { $0.scalars.allSatisfy(\.isFinite) } ?? false })
    // The residual branch and the shortcut, summed, checked against finite differences (without the ReLUs,
    // whose kinks finite differences cannot cross).
    let block = CellResidual(numChannels: 2, use1x1Conv: true, strides: 2)
    let input = random([3, 2, 5, 5])
    _ = block(input)
    checkGradients([input] + block.parameters, tolerance: 3e-2) { _ in
      block.bn2(block.conv2(block.bn1(block.conv1(input)))) + block.conv3!(input)
    }
  }

  @Test(arguments: [(1, 1, 0), (1, 2, 0), (3, 2, 1), (7, 2, 3), (5, 3, 2)])
  func convolutionGeometries(_ geometry: (Int, Int, Int)) {
    let (k, stride, padding) = geometry
    let x = random([2, 3, 9, 9])
    let w = random([4, 3, k, k], lower: -0.5, upper: 0.5)
    let b = random([4])
    checkGradients([x, w, b]) { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: stride, padding: padding) }
  }

  /// A wide convolution (sgemm's path) with "same" padding over planes smaller than its kernel (GoogLeNet's
  /// 5×5 branch on a 2×2 plane at a small input): taps that reach past the whole plane read only padding.
  @Test(arguments: [(5, 2, 2), (3, 1, 1), (3, 1, 4)])
  func wideSamePaddingOnSmallPlanes(_ geometry: (Int, Int, Int)) {
    let (k, padding, side) = geometry
    let x = random([2, 3, side, side])
    let w = random([40, 3, k, k], lower: -0.3, upper: 0.3)
    let b = random([40])
    #expect(ConvGeometry(input: x.shape, kernel: (k, k), outputs: 40, stride: 1, padding: padding).samePlane)
    checkGradients([x, w, b]) { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 1, padding: padding) }
  }

  /// A grouped convolution equals its groups convolved apart, and its gradients match finite differences.
  @Test func groupedConvolution() {
    let conv = Conv2d(outputs: 4, kernelSize: 3, padding: 1, stride: 2, groups: 2)
    let x = random([2, 4, 5, 5])
    let y = conv(x)
    #expect(conv.weight.shape == [4, 2, 3, 3] && y.shape == [2, 4, 3, 3])
    let first = x.sliced(alongAxis: 1, 0..<2).conv2d(weight: conv.weight[0..<2], bias: conv.bias[0..<2], stride: 2, padding: 1)
    #expect(zip(first.scalars, y.sliced(alongAxis: 1, 0..<2).scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    checkGradients([x, conv.weight, conv.bias]) { _ in conv(x) }
  }

  /// ResNet-18 at 96×96: the output's shape, the book's parameter count (PyTorch's for the same model:
  /// 11,178,378), and a finite gradient for every parameter after one backward pass.
  @Test func resNet18ForwardAndBackwardAt96() {
    let model = ResNet18()
    let x = random([2, 1, 96, 96])
    let loss = model.loss(model(x), Tensor([3, 7]))
    #expect(model(x).shape == [2, 10])
    #expect(model.parameters.map(\.count).reduce(0, +) == 11_178_378)
    loss.backward()
    #expect(model.parameters.allSatisfy { p in p.grad.map { $0.scalars.allSatisfy(\.isFinite) } ?? false })
    #expect(model.parameters.contains { $0.grad!.scalars.contains { $0 != 0 } })
    // Named as the book's add_module names them.
    #expect(model.net!.names == ["0", "b2", "b3", "b4", "b5", "last"])
  }

  /// The other models of the chapter build and give 10 scores per example at a reduced input (fast).
  @Test func everyModelClassifies() {
    let models: [(Classifier, Int)] = [
      (GoogleNet(), 64), (DenseNet(), 48), (RegNetX32(), 32), (BNLeNetScratch(), 28), (NiN(), 96),
    ]
    for (model, side) in models {
      let out = withoutGrad { model(random([2, 1, side, side])) }
      #expect(out.shape == [2, 10], "\(type(of: model))")
    }
  }

  /// BNLeNet learns: one epoch on 12 000 training images of the real Fashion-MNIST, batch 128, lr 0.1 (the
  /// book's settings), reaches at least 68% on 2 000 validation images. PyTorch's BNLeNet written the book's
  /// way reaches 72–74% on the same slice (three seeds); the book's full run reaches 85–90%.
  @Test func bnLeNetOneEpochOnASlice() throws {
    let data = FashionMNISTSlice(try FashionMNIST(batchSize: 128, directory: nil), train: 12000, val: 2000)
    let model = BNLeNet(lr: 0.1)
    model.board.display = false
    let history = Trainer(maxEpochs: 1).fit(model, data)
    let accuracy = try #require(history.last?.valAccuracy)
    #expect(accuracy >= 0.68, "validation accuracy \(accuracy)")
  }
}

@Suite(.seededRandom(4)) struct FirstBatchInitialisationTests {
  /// The book's models Xavier-initialise on their first batch, unless the user ran `applyInit` first (the
  /// book's `model.apply_init(...)`): then the user's initialiser stays.
  @Test func aUsersApplyInitWinsOverTheFirstBatchOne() {
    let model = LeNet()
    model.applyInit(Tensor(zeros: [1, 1, 28, 28]), .zeros)
    _ = withoutGrad { model(Tensor(zeros: [2, 1, 28, 28])) }
    let weights = Reflection.objects(in: model).compactMap { ($0 as? Conv2d)?.weight }
    #expect(weights.count == 2 && weights.allSatisfy { $0.scalars.allSatisfy { $0 == 0 } })
    let fresh = LeNet()
    _ = withoutGrad { fresh(Tensor(zeros: [2, 1, 28, 28])) }
    let first = Reflection.objects(in: fresh).compactMap { ($0 as? Conv2d)?.weight }[0]
    let bound = (6 / Float(25 + 6 * 25)).squareRoot()
    #expect(first.scalars.contains { $0 != 0 } && first.scalars.allSatisfy { abs($0) <= bound })
  }
}
