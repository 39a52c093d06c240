import ExecutorWire
import Foundation
import Kernel

/// Gathers a cell's printed text for up to `interval` before it is published, so that a loop printing
/// thousands of lines a second becomes a few messages, not a flood the client must read one by one
/// (ipykernel flushes its streams every 0.2 s). Any other output flushes the text first, so the order
/// the cell produced stays.
final class StreamBatcher: @unchecked Sendable {
  let interval: TimeInterval
  private let output: OutputSink
  private var pending: [(name: StreamName, text: String)] = []
  private var since: Date?

  init(_ output: OutputSink, interval: TimeInterval = 0.05) {
    self.output = output
    self.interval = interval
  }

  /// The sink the cell's output goes through.
  var sink: OutputSink {
    OutputSink(
      emit: { [self] in emit($0) },
      readInput: { [self] prompt, password in
        flush()
        return output.readInput(prompt, password)
      })
  }

  /// When the text gathered so far is due.
  var due: Date? { since?.addingTimeInterval(interval) }

  func emit(_ item: CellOutput) {
    guard case .stream(let name, let text) = item else {
      flush()
      output.emit(item)
      return
    }
    if pending.last?.name == name {
      pending[pending.count - 1].text += text
    } else {
      pending.append((name, text))
    }
    if since == nil { since = Date() }
  }

  func flushIfDue() {
    if let due, Date() >= due { flush() }
  }

  func flush() {
    for (name, text) in pending { output.emit(.stream(name: name, text: text)) }
    pending = []
    since = nil
  }
}
