internal import ExecutorWire
internal import Foundation

@discardableResult
public func display(svg: String) -> DisplayHandle { display(["image/svg+xml": svg, "text/plain": "<SVG image>"]) }

@discardableResult
public func display(html: String) -> DisplayHandle {
  display(["text/html": html, "text/plain": plainText(html: html)])
}

@discardableResult
public func display(markdown: String) -> DisplayHandle { display(["text/markdown": markdown, "text/plain": markdown]) }

@discardableResult
public func display(text: String) -> DisplayHandle { display(["text/plain": text]) }

@discardableResult
public func display(_ value: some NotebookDisplayable) -> DisplayHandle { display(value.mimeBundle) }

/// Shows a bundle as `display_data` and returns a handle to update it in place.
@discardableResult
public func display(_ bundle: [String: String]) -> DisplayHandle {
  let handle = DisplayHandle(id: UUID().uuidString.lowercased())
  let bundle = withPlainText(bundle)
  if NotebookBridge.isConnected {
    NotebookBridge.emit(.display(DisplayBundle(data: bundle, displayID: handle.id)))
  } else {
    print(bundle["text/plain"]!)
  }
  return handle
}

/// Clears the cell's output; with `wait`, only when the next output arrives (no flicker).
public func clearOutput(wait: Bool = false) {
  if NotebookBridge.isConnected { NotebookBridge.emit(.clearOutput(wait: wait)) }
}

/// Shows the value of a cell's trailing expression (`execute_result`); `Void` shows nothing.
///
/// The cell compiler wraps a cell's last expression in this call.
public func __show<T>(_ value: T) {
  // A display handle is what `display(…)` returns; the display itself is the output.
  if T.self == Void.self || value is DisplayHandle { return }
  let bundle = resultBundle(value)
  if NotebookBridge.isConnected {
    NotebookBridge.emit(.result(DisplayBundle(data: bundle)))
  } else {
    print(bundle["text/plain"]!)
  }
}

/// A value as an `execute_result` shows it: its rich representation, or its text.
func resultBundle<T>(_ value: T) -> [String: String] {
  if T.self == Void.self { return ["text/plain": "()"] }
  if let rich = value as? NotebookDisplayable { return withPlainText(rich.mimeBundle) }
  if let string = value as? String { return ["text/plain": String(reflecting: string)] }
  return ["text/plain": String(describing: value)]
}

/// Evaluates one of a request's user expressions; the kernel compiles them all into one cell, each in
/// a call of this, and reads each value (or error) back by its index.
public func __userExpression<T>(_ index: Int, _ value: () throws -> T) {
  let outcome: ExpressionOutcome
  do {
    outcome = .value(DisplayBundle(data: resultBundle(try value())))
  } catch {
    let described = __describe(error)
    outcome = .error(name: described.name, value: described.value)
  }
  if NotebookBridge.isConnected {
    NotebookBridge.emit(.expression(index: index, outcome))
  } else {
    print(index, outcome)
  }
}

/// Reports an error thrown out of a cell: the error's type (without the cell module, or the runtime's:
/// `SafetensorsError`, as IPython shows `MemoryError`) and description.
public func __describe(_ error: any Error) -> (name: String, value: String) {
  var name = String(reflecting: type(of: error))
  if name.hasPrefix("Cell_") || name.hasPrefix("ClassificationRuntime."), let dot = name.firstIndex(of: ".") {
    name = String(name[name.index(after: dot)...])
  }
  return (name, String(describing: error))
}

func withPlainText(_ bundle: [String: String]) -> [String: String] {
  var bundle = bundle
  if bundle["text/plain"] == nil {
    bundle["text/plain"] =
      bundle["text/html"].map(plainText(html:)) ?? "<\(bundle.keys.sorted().joined(separator: ", "))>"
  }
  return bundle
}

/// A rough text rendering of HTML for the `text/plain` fallback: tags dropped, entities decoded.
func plainText(html: String) -> String {
  var text = html.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
  for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
    text = text.replacingOccurrences(of: entity, with: char)
  }
  return text.replacingOccurrences(of: "[ \t]+", with: " ", options: .regularExpression)
    .trimmingCharacters(in: .whitespacesAndNewlines)
}
