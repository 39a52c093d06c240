import Foundation
import JupyterProtocol

package enum NotebookError: Error, CustomStringConvertible {
  case unreadable(String, String)
  case notANotebook(String, String)
  case unwritable(String, String)

  package var description: String {
    switch self {
    case .unreadable(let path, let why): "cannot read \(path): \(why)"
    case .notANotebook(let path, let why): "\(path) is not a Jupyter notebook (nbformat 4): \(why)"
    case .unwritable(let path, let why): "cannot write \(path): \(why)"
    }
  }
}

/// An `.ipynb` file (nbformat 4) as JSON, with what batch execution needs.
package struct Notebook {
  package var json: JSON

  package init(contentsOf path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw NotebookError.unreadable(
        path, FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
    }
    try self.init(data: data, path: path)
  }

  /// A notebook from the bytes of a file; `path` names it in errors.
  package init(data: Data, path: String) throws {
    let parsed: JSON
    do { parsed = try JSON(parsing: data) } catch {
      throw NotebookError.notANotebook(path, "the file is not valid JSON")
    }
    guard parsed.object != nil else { throw NotebookError.notANotebook(path, "the top level is not a JSON object") }
    guard parsed["nbformat"]?.int == 4 else {
      throw NotebookError.notANotebook(
        path, "nbformat is \(parsed["nbformat"].map { $0.serialized } ?? "missing"), expected 4")
    }
    guard let cells = parsed["cells"]?.array else { throw NotebookError.notANotebook(path, "it has no list of cells") }
    for (i, cell) in cells.enumerated() {
      guard cell["cell_type"]?.string != nil, cell["source"] != nil else {
        throw NotebookError.notANotebook(path, "cell \(i + 1) has no cell_type or source")
      }
    }
    json = parsed
  }

  package var cells: [JSON] {
    get { json["cells"]?.array ?? [] }
    set { json["cells"] = .array(newValue) }
  }

  /// A cell's source: nbformat allows a string or a list of lines.
  package static func source(of cell: JSON) -> String {
    if let text = cell["source"]?.string { return text }
    return (cell["source"]?.array ?? []).compactMap(\.string).joined()
  }

  package static func tags(of cell: JSON) -> [String] { (cell["metadata"]?["tags"]?.array ?? []).compactMap(\.string) }

  /// Injects the parameters as papermill does: a cell tagged `injected-parameters` after the cell tagged
  /// `parameters` (or first, when there is none), declaring each name again.
  package mutating func inject(parameters: [(name: String, value: String)]) {
    guard !parameters.isEmpty else { return }
    var cells = self.cells
    cells.removeAll { Self.tags(of: $0).contains("injected-parameters") }
    let source = (["// Parameters"] + parameters.map { "var \($0.name) = \(Self.swiftLiteral($0.value))" }).joined(
      separator: "\n")
    let injected: JSON = [
      "cell_type": "code", "id": .string(String(UUID().uuidString.lowercased().prefix(8))), "execution_count": nil,
      "metadata": ["tags": ["injected-parameters"]], "outputs": [], "source": .string(source),
    ]
    let at = cells.firstIndex { Self.tags(of: $0).contains("parameters") }.map { $0 + 1 } ?? 0
    cells.insert(injected, at: at)
    self.cells = cells
  }

  /// A command-line value as Swift: numbers and booleans as they are, anything else as a string.
  static func swiftLiteral(_ value: String) -> String {
    if Int(value) != nil || value == "true" || value == "false" { return value }
    if let d = Double(value), d.isFinite { return value.contains(".") || value.contains("e") ? value : value + ".0" }
    let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
    return "\"\(escaped)\""
  }

  /// Writes nbformat 4.5 atomically: a temporary file beside the target, then a rename.
  package func write(to path: String) throws {
    var json = self.json
    json["nbformat"] = 4
    json["nbformat_minor"] = .int(max(json["nbformat_minor"]?.int ?? 5, 5))
    // nbformat 4.5 needs an id on every cell.
    json["cells"] = .array(
      cells.map { cell in
        var cell = cell
        if cell["id"]?.string == nil { cell["id"] = .string(String(UUID().uuidString.lowercased().prefix(8))) }
        return cell
      })
    let url = URL(fileURLWithPath: path)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
    do {
      try Data((json.pretty(indent: 1) + "\n").utf8).write(to: temporary)
      guard rename(temporary.path, url.path) == 0 else {
        throw NotebookError.unwritable(path, String(cString: strerror(errno)))
      }
    } catch let error as NotebookError {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw NotebookError.unwritable(path, "\(error)")
    }
  }
}
