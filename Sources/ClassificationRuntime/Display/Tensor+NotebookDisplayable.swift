extension Tensor: NotebookDisplayable {
  /// Text always; a small HTML table for a 2-D tensor (rows and columns elided past 20).
  public var mimeBundle: [String: String] {
    var bundle = ["text/plain": description]
    if rank == 2 { bundle["text/html"] = htmlTable() }
    return bundle
  }

  func htmlTable(limit: Int = 20) -> String {
    let (rows, columns) = (shape[0], shape[1])
    func indices(_ n: Int) -> [Int?] {
      n <= limit ? (0..<n).map { $0 } : (0..<(limit / 2)).map { $0 } + [nil] + ((n - limit / 2)..<n).map { $0 }
    }
    var html = "<table class=\"tensor\"><caption>Tensor \(shape) Float32</caption>\n<tr><th></th>"
    for j in indices(columns) { html += j.map { "<th>\($0)</th>" } ?? "<th>…</th>" }
    html += "</tr>\n"
    for i in indices(rows) {
      guard let i else {
        html += "<tr><th>…</th>" + String(repeating: "<td>…</td>", count: indices(columns).count) + "</tr>\n"
        continue
      }
      html += "<tr><th>\(i)</th>"
      for j in indices(columns) {
        html += j.map { "<td>\(TensorFormatter.format(scalars[i * columns + $0]))</td>" } ?? "<td>…</td>"
      }
      html += "</tr>\n"
    }
    return html + "</table>"
  }
}
