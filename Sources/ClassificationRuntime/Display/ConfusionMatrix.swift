internal import Foundation

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
        html +=
          "<td style=\"background-color: rgb(\(shade), \(shade), 255); color: \(share > 0.6 ? "white" : "black")\">\(count)</td>"
      }
      html += "</tr>\n"
      text +=
        labels[i].padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String($0).leftPadded(to: 6) }.joined()
        + "\n"
    }
    text += String(format: "accuracy %.4f", accuracy)
    return ["text/html": html + "</table>", "text/plain": text]
  }
}
