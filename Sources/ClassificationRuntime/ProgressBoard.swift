@_implementationOnly import Foundation

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

  /// Called when a fit starts: a new run draws on a clean board.
  func begin() {
    lines = []
    raw = [:]
  }

  func changed() {}

  /// Called when a fit ends (also after an interrupt).
  func finish() {
    guard display, !lines.isEmpty else { return }
    if !KernelBridge.isConnected {
      let summary = lines.map { line in
        "\(line.label): " + (line.points.last.map { String(format: "%.4f at %@ %.2f", $0.y, xLabel, $0.x) } ?? "-")
      }
      print(summary.joined(separator: ", "))
    }
  }
}
