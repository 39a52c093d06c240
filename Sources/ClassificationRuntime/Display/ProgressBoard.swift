internal import Foundation
internal import SVGPlot

/// Collects the points a model plots while it trains (the book's `ProgressBoard`).
///
/// `draw` averages every `everyN` raw points into one point of a line, as the book does.
public final class ProgressBoard {
  public struct Point: Sendable, Equatable {
    public var x: Double
    public var y: Double
  }

  public var xLabel = "epoch"
  public var yLabel: String?
  public var xLimits: (Double, Double)?
  public var yLimits: (Double, Double)?
  /// Whether the board shows itself while a model trains.
  public var display = true
  /// The averaged points of each line, in the order lines first appeared.
  public private(set) var lines: [(label: String, points: [Point])] = []
  private var raw: [String: [Point]] = [:]

  public init() {}

  /// Adds a point to the line `label`; every `everyN` points are averaged into one drawn point.
  public func draw(x: Double, y: Double, label: String, everyN: Int = 1) {
    raw[label, default: []].append(Point(x: x, y: y))
    guard raw[label]!.count >= everyN else { return }
    let points = raw.removeValue(forKey: label)!
    let mean = Point(
      x: points.map(\.x).reduce(0, +) / Double(points.count), y: points.map(\.y).reduce(0, +) / Double(points.count))
    if let i = lines.firstIndex(where: { $0.label == label }) {
      lines[i].points.append(mean)
    } else {
      lines.append((label, [mean]))
    }
    changed()
  }

  /// The points of one line.
  public func points(_ label: String) -> [Point] { lines.first { $0.label == label }?.points ?? [] }

  /// Called when a fit starts: a new run draws on a clean board and a new display.
  func begin() {
    lines = []
    raw = [:]
    handle = nil
    lastFrame = 0
  }

  /// The live display while a model trains; frames at most every `frameInterval` seconds.
  private var handle: DisplayHandle?
  private var lastFrame: UInt64 = 0
  public static let frameInterval = 0.25

  /// A new point: the first one shows the board, later ones update it in place, a few times a second.
  func changed() {
    guard display, NotebookBridge.isConnected else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    if let handle {
      guard Double(now - lastFrame) / 1e9 >= Self.frameInterval else { return }
      handle.update(mimeBundle)
    } else {
      handle = ClassificationRuntime.display(mimeBundle)
    }
    lastFrame = now
  }

  /// Called when a fit ends (also after an interrupt): the final frame, or a text summary in a plain process.
  func finish() {
    guard display, !lines.isEmpty else { return }
    if NotebookBridge.isConnected {
      if let handle { handle.update(mimeBundle) } else { handle = ClassificationRuntime.display(mimeBundle) }
    } else {
      print(summary)
    }
  }

  /// The last point of each line, as text.
  public var summary: String {
    lines.map { line in
      "\(line.label): " + (line.points.last.map { String(format: "%.4f at %@ %.2f", $0.y, xLabel, $0.x) } ?? "-")
    }.joined(separator: ", ")
  }

  /// The book's look: train_loss solid (C0), val_loss dashed (C1), val_acc dash-dot (C2), one shared y axis.
  public func svg() -> String {
    var extra = 3
    let series = lines.map { line -> LineChart.Series in
      let points = line.points.map { (x: $0.x, y: $0.y) }
      switch line.label {
      case "train_loss": return .init(label: line.label, points: points, color: LineChart.palette[0], style: .solid)
      case "val_loss": return .init(label: line.label, points: points, color: LineChart.palette[1], style: .dashed)
      case "val_acc": return .init(label: line.label, points: points, color: LineChart.palette[2], style: .dashDot)
      default:
        defer { extra += 1 }
        return .init(
          label: line.label, points: points, color: LineChart.palette[extra % LineChart.palette.count], style: .solid)
      }
    }
    var chart = LineChart(series: series, xLabel: xLabel, yLabel: yLabel)
    chart.xLimits = xLimits
    chart.yLimits = yLimits
    return chart.svg()
  }
}

extension ProgressBoard: NotebookDisplayable {
  public var mimeBundle: [String: String] {
    ["image/svg+xml": svg(), "text/plain": summary.isEmpty ? "ProgressBoard (empty)" : summary]
  }
}
