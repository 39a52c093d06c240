internal import ExecutorWire

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
    if NotebookBridge.isConnected {
      NotebookBridge.emit(.updateDisplay(DisplayBundle(data: bundle, displayID: id)))
    } else {
      print(bundle["text/plain"]!)
    }
  }
}
