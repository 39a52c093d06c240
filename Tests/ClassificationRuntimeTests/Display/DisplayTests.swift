import ExecutorWire
import Foundation
import FoundationXML
import Testing

@testable import ClassificationRuntime

/// Captures what the runtime would send the kernel, through a real pipe drained by a reader thread.
final class EventCapture: @unchecked Sendable {
  private let readFD: Int32
  private let writeFD: Int32
  private let lock = NSLock()
  private var buffer = FrameBuffer()
  private var received: [(event: ExecutorEvent, seconds: Double)] = []
  private let started = DispatchTime.now()
  private let done = DispatchSemaphore(value: 0)

  init() {
    var fds: [Int32] = [0, 0]
    pipe(&fds)
    (readFD, writeFD) = (fds[0], fds[1])
    NotebookBridge.eventFD = writeFD
    Thread.detachNewThread { [self] in
      var chunk = [UInt8](repeating: 0, count: 65536)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        lock.lock()
        buffer.append(Array(chunk[0..<n]))
        let now = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        while let event = buffer.next(ExecutorEvent.self) { if let event { received.append((event, now)) } }
        lock.unlock()
      }
      done.signal()
    }
  }

  /// Stops capturing and returns the events with their arrival times.
  func finish() -> [(event: ExecutorEvent, seconds: Double)] {
    NotebookBridge.eventFD = nil
    close(writeFD)
    done.wait()
    close(readFD)
    return received
  }
}

func xml(_ svg: String) throws -> XMLElement { try #require(try XMLDocument(data: Data(svg.utf8)).rootElement()) }

@Suite(.serialized, .seededRandom(3)) struct DisplayTests {
  @Test(.seededRandom(4)) func progressBoardShowsOnceThenUpdatesItsDisplayAFewTimesASecondAndEndsWithAFinalFrame()
    throws
  {
    let data = SyntheticClassification(numTrain: 20_000, numVal: 2000, numFeatures: 20, numClasses: 4, batchSize: 32)
    let model = MLP(numOutputs: 4, numHiddens: 64, lr: 0.1)
    let capture = EventCapture()
    let fitStarted = DispatchTime.now()
    let history = Trainer(maxEpochs: 2).fit(model, data)
    let duration = Double(DispatchTime.now().uptimeNanoseconds - fitStarted.uptimeNanoseconds) / 1e9
    let events = capture.finish()
    #expect(history.epochs.count == 2)
    let displays = events.compactMap { if case .display(let b) = $0.event { return b } else { return nil } }
    let updates = events.compactMap { if case .updateDisplay(let b) = $0.event { return b } else { return nil } }
    #expect(displays.count == 1)
    let id = try #require(displays.first?.displayID)
    #expect(!updates.isEmpty && updates.allSatisfy { $0.displayID == id })
    if case .updateDisplay = events.last?.event {} else { Issue.record("the last event is not the final frame") }
    // At most ~4 frames a second (plus the first and the final one).
    #expect(
      Double(updates.count) <= duration / ProgressBoard.frameInterval + 2, "\(updates.count) frames in \(duration) s")
    // The final frame has the book's three curves, styles and x axis.
    let svg = try #require(updates.last?.data["image/svg+xml"])
    let root = try xml(svg)
    let lines = root.elements(forName: "polyline")
    let labels = lines.compactMap { $0.attributes?.first { $0.name == "data-label" }?.stringValue }
    #expect(labels == ["train_loss", "val_loss", "val_acc"], "the legend follows the order the model plots in")
    #expect(
      svg.contains("stroke=\"#1f77b4\"")
        && svg.contains("stroke=\"#ff7f0e\" stroke-width=\"2\" stroke-dasharray=\"6,4\""))
    #expect(svg.contains(">epoch</text>"))
    #expect(updates.last?.data["text/plain"]?.contains("val_acc") == true)
  }

  @Test func everyBundleHasPlainText() throws {
    let tensor = Tensor([[1, 2], [3, 4]])
    #expect(tensor.mimeBundle["text/plain"]?.contains("[2, 2]") == true)
    #expect(tensor.mimeBundle["text/html"]?.contains("<td>4.0</td>") == true)
    var history = History()
    var metrics = EpochMetrics(epoch: 1)
    metrics.values = ["train_loss": 0.5, "val_loss": 0.6, "val_acc": 0.8]
    history.epochs = [metrics]
    #expect(history.mimeBundle["text/html"]?.contains("<td>0.8000</td>") == true)
    #expect(history.mimeBundle["text/plain"]?.contains("0.6000") == true)
    let matrix = ConfusionMatrix(counts: [[3, 1], [0, 4]], labels: ["a", "b"])
    #expect(abs(matrix.accuracy - 7.0 / 8) < 1e-12)
    #expect(matrix.mimeBundle["text/html"]?.contains("<th>a</th>") == true && matrix.mimeBundle["text/plain"] != nil)
  }

  @Test func visualizeDrawsAGridOfLabelledImages() throws {
    let x = Tensor(randomUniform: [10, 1, 28, 28])
    let batch = Batch(x: x, y: Tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    let data = try FashionMNIST(batchSize: 8, directory: nil)
    let bundle = data.imageGrid(batch, nrows: 2, ncols: 4)
    let root = try xml(try #require(bundle["image/svg+xml"]))
    #expect(root.elements(forName: "image").count == 8)
    #expect(root.elements(forName: "text").compactMap(\.stringValue) == Array(FashionMNIST.labels.prefix(8)))
    #expect(bundle["text/plain"]?.hasPrefix("Fashion-MNIST: t-shirt, trouser") == true)
  }

  @Test(.seededRandom(2)) func confusionMatrixCountsEveryValidationExample() {
    let data = SyntheticClassification(numTrain: 300, numVal: 90, numClasses: 3, spread: 0.2, batchSize: 32)
    let model = MLP(numOutputs: 3, numHiddens: 16, lr: 0.5)
    model.board.display = false
    Trainer(maxEpochs: 3).fit(model, data)
    let matrix = model.confusionMatrix(on: data.valDataloader())
    #expect(matrix.counts.joined().reduce(0, +) == 90)
    #expect(matrix.labels == ["0", "1", "2"])
    let yHat = withoutGrad { model(data.valX) }
    #expect(abs(matrix.accuracy - Double(model.accuracy(yHat, data.valY).item)) < 1e-6)
  }
}
