import ClassificationRuntime
import Foundation

/// The book's modern CNNs (chapter 8) for bench/train.py: parameter counts, and the time of a training step
/// at the book's input size, side by side with bench/anchors/torch_modern_cnns.py.
enum ModernCNNs {
  /// Each model and the input side the book trains it at (as the PyTorch anchor's `MODELS`).
  static var models: [(String, () -> Classifier, Int)] {
    [
    ("alexnet", { AlexNet() }, 224),
    ("vgg", { VGG(arch: [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)]) }, 224),
    ("nin", { NiN() }, 224),
    ("googlenet", { GoogleNet() }, 96),
    ("bnlenet-scratch", { BNLeNetScratch() }, 28),
    ("bnlenet", { BNLeNet() }, 28),
    ("resnet18", { ResNet18() }, 96),
    ("densenet", { DenseNet() }, 96),
    ("regnetx32", { RegNetX32() }, 96),
    ]
  }

  static func model(_ kind: String) -> (Classifier, Int)? {
    models.first { $0.0 == kind }.map { ($0.1(), $0.2) }
  }

  /// The resident memory now, in MB (for TRAIN_BENCH_RSS=1: where a step's memory goes).
  static func residentMB() -> Int {
    // (/proc files report a size of 0: read them to the end.)
    guard let data = FileHandle(forReadingAtPath: "/proc/self/statm")?.readDataToEndOfFile(),
      let text = String(data: data, encoding: .utf8),
      let pages = Int(text.split(separator: " ")[1])
    else { return -1 }
    return (pages * 4096) >> 20
  }

  /// `params`: every model's parameter count after its first batch.
  static func printParameterCounts() {
    for (kind, make, side) in models {
      let model = make()
      model.board.display = false
      withoutGrad { _ = model(Tensor(zeros: [2, 1, side, side])) }
      print("swift \(kind) params \(model.parameters.map(\.count).reduce(0, +))")
    }
  }

  /// `steps MODEL STEPS [BATCH]` (with `TRAIN_BENCH_RSS=1`, the resident memory around each step's forward
  /// and backward pass): the median time of a training step (forward, loss, backward, SGD step) on
  /// the first `batch` training images resized to the model's side; the first step (sizing, allocation) is
  /// not counted.
  static func timeSteps(_ kind: String, steps: Int, batch: Int) throws {
    guard let (model, side) = model(kind) else {
      FileHandle.standardError.write(Data("unknown model \(kind)\n".utf8))
      exit(2)
    }
    Random.seed(0)
    model.board.display = false
    let data = try FashionMNIST(batchSize: batch, resize: (side, side), directory: nil)
    var iterator = data.valDataloader().makeIterator()
    let first = iterator.next()!
    let optimizer = model.configureOptimizers()
    var times: [Double] = []
    // The process's CPU time per step too (user + system, all threads): a figure that another process on
    // the same cores disturbs less than the wall time, for comparing two builds on a busy machine.
    var cpuTimes: [Double] = []
    func cpuSeconds() -> Double {
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
    var loss = Float.nan
    // TRAIN_BENCH_AB=NAME: odd steps compute the earlier way NAME (see the runtime's `Earlier`), even steps
    // the present way; both medians are printed.
    let ab = getenv("TRAIN_BENCH_AB").map { String(cString: $0) }
    for step in 0...steps {
      if let ab {
        if step % 2 == 1 { setenv("CLASSIFICATION_RUNTIME_EARLIER", ab, 1) } else { unsetenv("CLASSIFICATION_RUNTIME_EARLIER") }
      }
      let started = DispatchTime.now()
      let startedCPU = cpuSeconds()
      optimizer.zeroGrad()
      if getenv("TRAIN_BENCH_RSS") != nil { print("rss before forward", residentMB()) }
      let l = model.loss(model(first.x), first.y)
      if getenv("TRAIN_BENCH_RSS") != nil { print("rss after forward", residentMB()) }
      l.backward()
      if getenv("TRAIN_BENCH_RSS") != nil { print("rss after backward", residentMB()) }
      withoutGrad { optimizer.step() }
      times.append(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
      cpuTimes.append(cpuSeconds() - startedCPU)
      loss = l.item
    }
    if let ab {
      func median(_ values: [Double], odd: Bool) -> Double {
        let picked = values.indices.filter { $0 > 0 && ($0 % 2 == 1) == odd }.map { values[$0] }.sorted()
        return picked.isEmpty ? .nan : picked[picked.count / 2]
      }
      print(
        String(
          format: "swift %@ ab %@: earlier step median %.4f s (cpu %.4f), present %.4f s (cpu %.4f)", kind, ab,
          median(times, odd: true), median(cpuTimes, odd: true), median(times, odd: false),
          median(cpuTimes, odd: false)))
    }
    let sorted = times.dropFirst().sorted()
    let sortedCPU = cpuTimes.dropFirst().sorted()
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print(
      String(
        format: "swift %@ %dx%d batch %d: step median %.4f s; loss %.4f; params %d; peak RSS %.0f MB; cpu median %.4f s",
        kind, side, side, batch, sorted[sorted.count / 2], loss, model.parameters.map(\.count).reduce(0, +),
        Double(usage.ru_maxrss) / 1024, sortedCPU[sortedCPU.count / 2]))
  }
}
