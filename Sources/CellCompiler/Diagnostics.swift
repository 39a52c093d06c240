import Foundation

/// One compiler message, located in a cell when it points into one.
struct Diagnostic: Equatable, Sendable {
  enum Severity: String, Sendable { case error, warning, note }
  var cell: Int?
  var line: Int
  var column: Int
  var severity: Severity
  var message: String
}

/// Reads the compiler's llvm-style diagnostics and maps them to cell lines and columns.
enum DiagnosticsMapper {
  /// Parses lines like `<Cell 3>:2:5: error: cannot find 'y' in scope`.
  static func parse(_ output: String) -> [Diagnostic] {
    var result: [Diagnostic] = []
    for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
      guard let severityRange = [": error: ", ": warning: ", ": note: "].lazy.compactMap({ line.range(of: $0) }).first
      else { continue }
      let location = line[..<severityRange.lowerBound]
      let severityText = line[severityRange].trimmingCharacters(in: CharacterSet(charactersIn: ": "))
      let message = String(line[severityRange.upperBound...])
      let parts = location.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count >= 3, let lineNumber = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1])
      else {
        result.append(
          Diagnostic(
            cell: nil, line: 0, column: 0, severity: Diagnostic.Severity(rawValue: severityText) ?? .error,
            message: message))
        continue
      }
      let file = parts[..<(parts.count - 2)].joined(separator: ":")
      let cell = CellLabel.first(in: file)?.label.number
      result.append(
        Diagnostic(
          cell: cell, line: lineNumber, column: column, severity: Diagnostic.Severity(rawValue: severityText) ?? .error,
          message: message))
    }
    return result
  }

  /// The traceback lines of an error output: each error in a cell with its source line and a caret.
  ///
  /// Messages from generated code are shown without a location, and only when no error points into a cell.
  static func traceback(
    _ diagnostics: [Diagnostic], cellNumber: Int, columns: ColumnMap, source: (Int) -> String?
  ) -> [String] {
    var lines: [String] = []
    let inCells = diagnostics.filter { $0.cell != nil && $0.severity != .warning }
    let errors = diagnostics.filter { $0.severity == .error }
    let shown = inCells.contains { $0.severity == .error } ? inCells : errors
    var seen = Set<String>()
    for var d in shown {
      if d.cell == cellNumber { d.column = columns.originalColumn(line: d.line, column: d.column) }
      guard let cell = d.cell else {
        if seen.insert(d.message).inserted { lines.append("error: \(d.message)") }
        continue
      }
      let key = "\(cell):\(d.line):\(d.column):\(d.message)"
      guard seen.insert(key).inserted else { continue }
      lines.append("\(CellLabel(cell)):\(d.line):\(d.column): \(d.severity.rawValue): \(d.message)")
      if let text = source(cell) {
        let cellLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if d.line >= 1, d.line <= cellLines.count {
          let sourceLine = String(cellLines[d.line - 1])
          lines.append(sourceLine)
          let width = min(max(d.column - 1, 0), sourceLine.count)
          let indent = sourceLine.prefix(width).map { $0 == "\t" ? "\t" : " " }.joined()
          lines.append(indent + "^")
        }
      }
    }
    return lines
  }
}
