internal import Foundation

extension History: NotebookDisplayable {
  /// A table of epochs with their exact metrics.
  public var mimeBundle: [String: String] {
    let labels =
      ["train_loss", "val_loss", "val_acc"]
      + Set(epochs.flatMap(\.values.keys)).subtracting(["train_loss", "val_loss", "val_acc"]).sorted()
    let present = labels.filter { label in epochs.contains { $0.values[label] != nil } }
    var html =
      "<table class=\"history\"><tr><th>epoch</th>" + present.map { "<th>\($0)</th>" }.joined()
      + "<th>seconds</th></tr>\n"
    var text =
      (["epoch"] + present + ["seconds"]).map { $0.padding(toLength: max($0.count, 10), withPad: " ", startingAt: 0) }
      .joined(separator: " ") + "\n"
    for e in epochs {
      let values = present.map { e.values[$0].map { String(format: "%.4f", $0) } ?? "" }
      html +=
        "<tr><td>\(e.epoch)</td>" + values.map { "<td>\($0)</td>" }.joined()
        + String(format: "<td>%.2f</td></tr>\n", e.seconds)
      text +=
        ([String(e.epoch)] + values + [String(format: "%.2f", e.seconds)]).enumerated().map { i, v in
          v.padding(toLength: max((["epoch"] + present + ["seconds"])[i].count, 10), withPad: " ", startingAt: 0)
        }.joined(separator: " ") + "\n"
    }
    if wasStopped {
      html += "<tr><td colspan=\"\(present.count + 2)\">stopped early by an interrupt</td></tr>\n"
      text += "(stopped early by an interrupt)\n"
    }
    return ["text/html": html + "</table>", "text/plain": text]
  }
}
