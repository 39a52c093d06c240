import ClassificationRuntime
import Foundation

/// Trains one of the book's models on the real Fashion-MNIST and prints seconds per epoch (train +
/// full validation), the final validation metrics and the peak resident memory.
///
/// usage: train-bench MODEL EPOCHS [BATCH]   (MODEL: softmax | softmax-scratch | mlp | mlp-scratch | dropout | lenet | bnlenet | bnlenet-scratch)
///        train-bench params                 (the parameter count of each of the book's modern CNNs)
///        train-bench steps MODEL STEPS [BATCH] (median time of a training step of a modern CNN, batch 128)
///        train-bench sgemm-peak REPEATS     (the machine's sgemm rate through the runtime's OpenBLAS)
///        train-bench gemm REPEATS           (the runtime's own product against OpenBLAS on the CNNs' shapes)
///        train-bench render EPOCHS DIR      (a real run's ProgressBoard and a visualize grid as SVG files)
///        train-bench layers REPEATS [INDEX] (milliseconds per LeNet layer, or only layer INDEX, forward and backward, batch 128)
///        train-bench interop save|load|bench …  (safetensors with PyTorch: see Interop.swift)
@main
struct TrainBench {
  static func main() throws {
    let arguments = CommandLine.arguments
    if arguments.count >= 2, arguments[1] == "interop" { return try Interop.main(Array(arguments.dropFirst(2))) }
    if arguments.count == 2, arguments[1] == "params" {
      ModernCNNs.printParameterCounts()
      return
    }
    if arguments.count == 3, arguments[1] == "gemm", let repeats = Int(arguments[2]) {
      _packedProductBenchmark(repeats: repeats)
      return
    }
    if arguments.count >= 4, arguments[1] == "steps", let steps = Int(arguments[3]) {
      try ModernCNNs.timeSteps(arguments[2], steps: steps, batch: arguments.count > 4 ? Int(arguments[4])! : 128)
      return
    }
    guard arguments.count >= 3, let epochs = Int(arguments[2]) else {
      FileHandle.standardError.write(Data("usage: train-bench MODEL EPOCHS [BATCH]\n".utf8))
      exit(2)
    }
    let kind = arguments[1]
    if kind == "render", arguments.count >= 4 {
      // The pictures a person should look at: a real run's ProgressBoard and a visualize grid.
      let directory = arguments[3]
      Random.seed(0)
      let data = try FashionMNIST(batchSize: 256, directory: nil)
      let model = SoftmaxRegression(numOutputs: 10, lr: 0.1)
      model.board.display = false
      Trainer(maxEpochs: epochs).fit(model, data)
      try model.board.svg().write(toFile: directory + "/progress_board.svg", atomically: true, encoding: .utf8)
      var iterator = data.valDataloader().makeIterator()
      let grid = data.imageGrid(iterator.next()!, nrows: 2, ncols: 8)
      try grid["image/svg+xml"]!.write(toFile: directory + "/visualize.svg", atomically: true, encoding: .utf8)
      print("wrote \(directory)/progress_board.svg and \(directory)/visualize.svg")
      return
    }
    if kind == "layers" {
      layerTimes(repeats: max(epochs, 1), only: arguments.count > 3 ? Int(arguments[3]) : nil)
      return
    }
    if kind == "sgemm-peak" {
      // The physical limit: a large square product on all cores, as the runtime calls OpenBLAS.
      let size = 2048
      let a = Tensor(randomUniform: [size, size])
      let b = Tensor(randomUniform: [size, size])
      _ = a.matmul(b)
      let repeats = max(epochs, 1)
      let started = DispatchTime.now()
      for _ in 0..<repeats { _ = a.matmul(b) }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
      print(
        String(
          format: "sgemm %dx%dx%d: %.1f GFLOP/s (OpenBLAS kernel %@)", size, size, size,
          2 * pow(Double(size), 3) * Double(repeats) / seconds / 1e9, blasCoreName))
      return
    }
    let batch = arguments.count > 3 ? Int(arguments[3])! : (kind.contains("lenet") ? 128 : 256)
    Random.seed(0)
    let data = try FashionMNIST(batchSize: batch, directory: nil)
    let model: Classifier
    switch kind {
    case "softmax": model = SoftmaxRegression(numOutputs: 10, lr: 0.1)
    case "softmax-scratch": model = SoftmaxRegressionScratch(numInputs: 784, numOutputs: 10, lr: 0.1)
    case "mlp": model = MLP(numOutputs: 10, numHiddens: 256, lr: 0.1)
    case "mlp-scratch": model = MLPScratch(numInputs: 784, numOutputs: 10, numHiddens: 256, lr: 0.1)
    case "dropout": model = DropoutMLP()
    case "lenet": model = LeNet(lr: 0.1)
    case "bnlenet": model = BNLeNet(lr: 0.1)
    case "bnlenet-scratch": model = BNLeNetScratch(lr: 0.1)
    default:
      FileHandle.standardError.write(Data("unknown model \(kind)\n".utf8))
      exit(2)
    }
    model.board.display = false
    let history = Trainer(maxEpochs: epochs).fit(model, data)
    let seconds = history.epochs.map(\.seconds).sorted()
    let last = history.last!
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print(
      String(
        format: "swift %@ batch %d: epoch median %.3f s; val_loss %.4f val_acc %.4f after %d epochs; peak RSS %.0f MB",
        kind, batch, seconds[seconds.count / 2], last.valLoss ?? .nan, last.valAccuracy ?? .nan, epochs,
        Double(usage.ru_maxrss) / 1024))
  }

  /// Where a LeNet step spends its time: each layer's forward and backward on a batch of 128, alone (not
  /// fused), then the whole stack as one `Sequential` (fused).
  static func layerTimes(repeats: Int, only: Int?) {
    Random.seed(0)
    let layers: [(String, Layer)] = [
      ("conv 1->6 k5 p2", Conv2d(outputs: 6, kernelSize: 5, padding: 2)), ("sigmoid", Sigmoid()),
      ("avgpool", AvgPool2d(kernelSize: 2, stride: 2)),
      ("conv 6->16 k5", Conv2d(outputs: 16, kernelSize: 5)), ("sigmoid", Sigmoid()),
      ("avgpool", AvgPool2d(kernelSize: 2, stride: 2)),
      ("flatten", Flatten()), ("linear 400->120", Linear(outputs: 120)), ("sigmoid", Sigmoid()),
      ("linear 120->84", Linear(outputs: 84)), ("sigmoid", Sigmoid()), ("linear 84->10", Linear(outputs: 10)),
    ]
    var x = Tensor(randomUniform: [128, 1, 28, 28])
    // The fastest of `repeats` runs: this machine's timings are noisy, and the minimum is what the code can do.
    func milliseconds(_ body: () -> Void) -> Double {
      var best = Double.infinity
      for _ in 0..<repeats {
        let started = DispatchTime.now()
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
      }
      return best
    }
    var (forwardTotal, backwardTotal) = (0.0, 0.0)
    for (index, (name, layer)) in layers.enumerated() {
      let input = Tensor(shape: x.shape, scalars: x.scalars, requiresGrad: index > 0)
      var y = layer(input)
      if let only, only != index {
        x = y
        continue
      }
      let forward = milliseconds { y = layer(input) }
      let gradient = Tensor(randomUniform: y.shape)
      var out = layer(input)
      let backward =
        milliseconds {
          out.backward(gradient)
          out = layer(input)
        } - forward
      print(
        name.padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(format: " forward %7.3f ms  backward %7.3f ms", forward, backward))
      (forwardTotal, backwardTotal) = (forwardTotal + forward, backwardTotal + backward)
      x = y
    }
    print(
      "total           "
        + String(
          format: " forward %7.3f ms  backward %7.3f ms  (x 469 batches: %.2f s)", forwardTotal, backwardTotal,
          (forwardTotal + backwardTotal) * 469 / 1000))
    guard only == nil else { return }
    // The same layers in one Sequential, which fuses each convolution with its activation and pooling
    // and each dense layer with its activation.
    let net = Sequential(layers.map(\.1))
    let images = Tensor(randomUniform: [128, 1, 28, 28])
    var y = net(images)
    let forward = milliseconds { y = net(images) }
    let gradient = Tensor(randomUniform: y.shape)
    let step = milliseconds { net(images).backward(gradient) }
    print(
      "Sequential      "
        + String(
          format: " forward %7.3f ms  backward %7.3f ms  (x 469 batches: %.2f s)", forward, step - forward,
          step * 469 / 1000))
  }
}
