import Foundation

/// Filters a cell's stderr on its way to the notebook, holding back what a trap prints: the trap's
/// message becomes the cell's error, and the backtracer's chatter after it is dropped.
///
/// A line that looks like a trap's (`Fatal error: …`) may be a user's own text: it and what follows are
/// held, not dropped, and shown when the cell ends without a trap (`finish(trapped: false)`).
struct StderrRelay {
  /// The message of the trap-looking line seen so far (`Index out of range`), once its line has arrived.
  private(set) var trapMessage: String?
  /// A partial line that could still turn out to be a trap's.
  private var tail = ""
  /// From the trap-looking line on: dropped if the cell trapped, shown if it did not.
  private var held = ""

  /// The part of `text` to show now.
  mutating func filter(_ text: String) -> String {
    // After a trap's message the process may be dying: the rest is held until the cell's end tells.
    guard trapMessage == nil else {
      held += text
      // A user's line came first: a real trap's message, later, is the one that counts.
      if let range = held.range(of: "Fatal error", options: .backwards),
        let end = held[range.upperBound...].firstIndex(of: "\n")
      {
        let message = held[range.upperBound..<end].drop { $0 == ":" }.trimmingCharacters(in: .whitespaces)
        trapMessage = message.isEmpty ? "Fatal error" : message
      }
      return ""
    }
    var pending = tail + text
    var shown = ""
    while let newline = pending.firstIndex(of: "\n") {
      let line = String(pending[..<newline])
      pending = String(pending[pending.index(after: newline)...])
      if let range = line.range(of: "Fatal error: ") ?? line.range(of: "Fatal error") {
        let message = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        trapMessage = message.isEmpty ? "Fatal error" : message
        held = line + "\n" + pending
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

  /// What is still held back, at the end of a cell: nothing after a trap; else the user's own text, a
  /// line that only looked like a trap's included.
  mutating func finish(trapped: Bool) -> String {
    defer {
      tail = ""
      held = ""
    }
    if trapped { return "" }
    return trapMessage == nil ? tail : held
  }

  /// True when the text ends with the first characters of "Fatal error", which the next read may finish.
  private static func endsWithTheStartOfATrap(_ text: String) -> Bool {
    let marker = "Fatal error"
    return (1..<marker.count).contains { text.hasSuffix(marker.prefix($0)) }
  }
}
