import Foundation

/// Filters a cell's stderr on its way to the notebook, holding back what a trap prints: the trap's
/// message becomes the cell's error, and the backtracer's chatter after it is dropped.
struct StderrRelay {
  /// The message of the trap seen so far (`Index out of range`), once its line has arrived.
  private(set) var trapMessage: String?
  /// A partial line that could still turn out to be a trap's.
  private var tail = ""

  /// The part of `text` to show now.
  mutating func filter(_ text: String) -> String {
    // After a trap's message the process is dying: the rest is the backtracer's own chatter.
    guard trapMessage == nil else { return "" }
    var pending = tail + text
    var shown = ""
    while let newline = pending.firstIndex(of: "\n") {
      let line = String(pending[..<newline])
      pending = String(pending[pending.index(after: newline)...])
      if let range = line.range(of: "Fatal error: ") ?? line.range(of: "Fatal error") {
        let message = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        trapMessage = message.isEmpty ? "Fatal error" : message
        tail = ""
        return shown
      } else if line.hasPrefix("*** Signal ") || line.hasPrefix("💣") {
        continue
      } else {
        shown += line + "\n"
      }
    }
    if pending.contains("Fatal error") || pending.hasPrefix("***") || Self.endsWithTheStartOfATrap(pending) {
      tail = pending
    } else {
      shown += pending
      tail = ""
    }
    return shown
  }

  /// What is still held back, at the end of a cell that did not trap.
  mutating func finish() -> String {
    defer { tail = "" }
    return trapMessage == nil ? tail : ""
  }

  /// True when the text ends with the first characters of "Fatal error", which the next read may finish.
  private static func endsWithTheStartOfATrap(_ text: String) -> Bool {
    let marker = "Fatal error"
    return (1..<marker.count).contains { text.hasSuffix(marker.prefix($0)) }
  }
}
