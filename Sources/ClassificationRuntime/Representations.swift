@_implementationOnly import Foundation
@_implementationOnly import SVGPlot

extension Tensor: NotebookDisplayable {
  /// Text always; a small HTML table for a 2-D tensor (rows and columns elided past 20).
  public var mimeBundle: [String: String] {
    var bundle = ["text/plain": description]
    if rank == 2 { bundle["text/html"] = htmlTable() }
    return bundle
  }

  func htmlTable(limit: Int = 20) -> String {
    let (rows, columns) = (shape[0], shape[1])
    func indices(_ n: Int) -> [Int?] { n <= limit ? (0..<n).map { $0 } : (0..<(limit / 2)).map { $0 } + [nil] + ((n - limit / 2)..<n).map { $0 } }
    var html = "<table class=\"tensor\"><caption>Tensor \(shape) Float32</caption>\n<tr><th></th>"
    for j in indices(columns) { html += j.map { "<th>\($0)</th>" } ?? "<th>…</th>" }
    html += "</tr>\n"
    for i in indices(rows) {
      guard let i else {
        html += "<tr><th>…</th>" + String(repeating: "<td>…</td>", count: indices(columns).count) + "</tr>\n"
        continue
      }
      html += "<tr><th>\(i)</th>"
      for j in indices(columns) { html += j.map { "<td>\(TensorFormatter.format(scalars[i * columns + $0]))</td>" } ?? "<td>…</td>" }
      html += "</tr>\n"
    }
    return html + "</table>"
  }
}

extension History: NotebookDisplayable {
  /// A table of epochs with their exact metrics.
  public var mimeBundle: [String: String] {
    let labels = ["train_loss", "val_loss", "val_acc"] + Set(epochs.flatMap(\.values.keys)).subtracting(["train_loss", "val_loss", "val_acc"]).sorted()
    let present = labels.filter { label in epochs.contains { $0.values[label] != nil } }
    var html = "<table class=\"history\"><tr><th>epoch</th>" + present.map { "<th>\($0)</th>" }.joined() + "<th>seconds</th></tr>\n"
    var text = (["epoch"] + present + ["seconds"]).map { $0.padding(toLength: max($0.count, 10), withPad: " ", startingAt: 0) }.joined(separator: " ") + "\n"
    for e in epochs {
      let values = present.map { e.values[$0].map { String(format: "%.4f", $0) } ?? "" }
      html += "<tr><td>\(e.epoch)</td>" + values.map { "<td>\($0)</td>" }.joined() + String(format: "<td>%.2f</td></tr>\n", e.seconds)
      text += ([String(e.epoch)] + values + [String(format: "%.2f", e.seconds)]).enumerated().map { i, v in
        v.padding(toLength: max((["epoch"] + present + ["seconds"])[i].count, 10), withPad: " ", startingAt: 0)
      }.joined(separator: " ") + "\n"
    }
    if wasStopped { html += "<tr><td colspan=\"\(present.count + 2)\">stopped early by an interrupt</td></tr>\n"; text += "(stopped early by an interrupt)\n" }
    return ["text/html": html + "</table>", "text/plain": text]
  }
}

extension FashionMNIST {
  /// Shows images of a batch with their text labels as an SVG grid (`nrows × ncols` images).
  public func visualize(_ batch: Batch, nrows: Int = 1, ncols: Int = 8) {
    ClassificationRuntime.display(imageGrid(batch, nrows: nrows, ncols: ncols))
  }

  /// The grid `visualize` shows, as a MIME bundle (SVG and its text labels).
  public func imageGrid(_ batch: Batch, nrows: Int, ncols: Int) -> [String: String] {
    let n = min(batch.count, nrows * ncols)
    let (h, w) = (batch.x.shape[2], batch.x.shape[3])
    let labels = textLabels(batch.y.scalars.prefix(n).map { Int($0) })
    let images = (0..<n).map { i in
      ImageGrid.Image(width: w, height: h, pixels: Array(batch.x.scalars[(i * h * w)..<((i + 1) * h * w)]), title: labels[i])
    }
    return ["image/svg+xml": ImageGrid(images: images, columns: ncols).svg(), "text/plain": "Fashion-MNIST: " + labels.joined(separator: ", ")]
  }
}

/// Counts of (true class, predicted class) pairs over a data set, shown as a heat-map table.
public struct ConfusionMatrix: NotebookDisplayable {
  public let counts: [[Int]]
  public let labels: [String]

  /// The fraction of examples on the diagonal.
  public var accuracy: Double {
    let total = counts.joined().reduce(0, +)
    return total == 0 ? 0 : Double(counts.indices.map { counts[$0][$0] }.reduce(0, +)) / Double(total)
  }

  public var mimeBundle: [String: String] {
    var html = "<table class=\"confusion\"><caption>rows: true class, columns: predicted class</caption>\n<tr><th></th>"
    html += labels.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
    var text = ""
    for (i, row) in counts.enumerated() {
      let total = max(row.reduce(0, +), 1)
      html += "<tr><th>\(labels[i])</th>"
      for count in row {
        let share = Double(count) / Double(total)
        let shade = Int(255 - 200 * share)
        html += "<td style=\"background-color: rgb(\(shade), \(shade), 255); color: \(share > 0.6 ? "white" : "black")\">\(count)</td>"
      }
      html += "</tr>\n"
      text += labels[i].padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String($0).leftPadded(to: 6) }.joined() + "\n"
    }
    text += String(format: "accuracy %.4f", accuracy)
    return ["text/html": html + "</table>", "text/plain": text]
  }
}

extension Classifier {
  /// The confusion matrix of this model on a data loader (class names from Fashion-MNIST when there are ten).
  public func confusionMatrix(on loader: DataLoader?, labels: [String]? = nil) -> ConfusionMatrix {
    var counts: [[Int]] = []
    withoutGrad {
      for batch in loader.map(Array.init) ?? [] {
        let scores = self(batch.x)
        let c = scores.shape.last ?? 0
        if counts.isEmpty { counts = Array(repeating: Array(repeating: 0, count: c), count: c) }
        for (truth, guess) in zip(batch.y.scalars, scores.argmax(axis: 1).scalars) { counts[Int(truth)][Int(guess)] += 1 }
      }
    }
    let names = labels ?? (counts.count == 10 ? FashionMNIST.labels : counts.indices.map(String.init))
    return ConfusionMatrix(counts: counts, labels: names)
  }
}

extension String {
  func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
