@_implementationOnly import ExecutorWire
@_implementationOnly import Foundation

/// A value with a rich representation in the notebook: MIME type → text (SVG as XML, HTML, …).
public protocol NotebookDisplayable {
  var mimeBundle: [String: String] { get }
}

/// A display in the notebook that can be replaced in place (`update_display_data`).
public struct DisplayHandle: Sendable {
  public let id: String

  public func update(svg: String) { update(["image/svg+xml": svg, "text/plain": "<SVG image>"]) }
  public func update(html: String) { update(["text/html": html, "text/plain": plainText(html: html)]) }
  public func update(markdown: String) { update(["text/markdown": markdown, "text/plain": markdown]) }
  public func update(text: String) { update(["text/plain": text]) }
  public func update(_ value: some NotebookDisplayable) { update(value.mimeBundle) }

  /// Replaces the display's content with a bundle (always given a `text/plain`).
  public func update(_ bundle: [String: String]) {
    let bundle = withPlainText(bundle)
    if KernelBridge.isConnected {
      KernelBridge.emit(.updateDisplay(DisplayBundle(data: bundle, displayID: id)))
    } else {
      print(bundle["text/plain"]!)
    }
  }
}

@discardableResult
public func display(svg: String) -> DisplayHandle { display(["image/svg+xml": svg, "text/plain": "<SVG image>"]) }

@discardableResult
public func display(html: String) -> DisplayHandle { display(["text/html": html, "text/plain": plainText(html: html)]) }

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
  if KernelBridge.isConnected {
    KernelBridge.emit(.display(DisplayBundle(data: bundle, displayID: handle.id)))
  } else {
    print(bundle["text/plain"]!)
  }
  return handle
}

/// Clears the cell's output; with `wait`, only when the next output arrives (no flicker).
public func clearOutput(wait: Bool = false) {
  if KernelBridge.isConnected { KernelBridge.emit(.clearOutput(wait: wait)) }
}

/// Shows the value of a cell's trailing expression (`execute_result`); `Void` shows nothing.
///
/// The cell compiler wraps a cell's last expression in this call.
public func __show<T>(_ value: T) {
  // A display handle is what `display(…)` returns; the display itself is the output.
  if T.self == Void.self || value is DisplayHandle { return }
  var bundle: [String: String]
  if let rich = value as? NotebookDisplayable {
    bundle = withPlainText(rich.mimeBundle)
  } else if let string = value as? String {
    bundle = ["text/plain": String(reflecting: string)]
  } else {
    bundle = ["text/plain": String(describing: value)]
  }
  if KernelBridge.isConnected {
    KernelBridge.emit(.result(DisplayBundle(data: bundle)))
  } else {
    print(bundle["text/plain"]!)
  }
}

/// Reports an error thrown out of a cell: the error's type (without the cell module) and description.
public func __describe(_ error: any Error) -> (name: String, value: String) {
  var name = String(reflecting: type(of: error))
  if name.hasPrefix("Cell_"), let dot = name.firstIndex(of: ".") {
    name = String(name[name.index(after: dot)...])
  }
  return (name, String(describing: error))
}

func withPlainText(_ bundle: [String: String]) -> [String: String] {
  var bundle = bundle
  if bundle["text/plain"] == nil {
    bundle["text/plain"] = bundle["text/html"].map(plainText(html:)) ?? "<\(bundle.keys.sorted().joined(separator: ", "))>"
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
