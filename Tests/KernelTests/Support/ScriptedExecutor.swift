import ExecutorWire
import Foundation
import Kernel

/// A fake executing side whose cells are a tiny script language, so tests can say what a cell does:
///
/// - `print TEXT`: prints TEXT and a newline on stdout
/// - `value TEXT`: the cell's value is TEXT
/// - `display TEXT`: displays TEXT, then updates the display
/// - `fail`: a thrown error (`Boom`)
/// - `die`: the executor dies mid-cell, after printing on stderr
/// - `input PROMPT`: reads a line and makes it the cell's value (`nil` when there was none)
/// - `spin`: runs until interrupted (or 10 s), then reports the interrupt
/// - anything else: runs, no value
final class ScriptedExecutor: CellExecuting, @unchecked Sendable {
  private let lock = NSLock()
  private var _executed: [CellRequest] = []
  private var _evaluated: [[String: String]] = []
  private var _interrupts = 0
  private var _shutdowns = 0
  private let interruption = DispatchSemaphore(value: 0)
  /// Signalled when a `spin` or `input` cell has started.
  let cellStarted = DispatchSemaphore(value: 0)

  var executed: [CellRequest] { locked { _executed } }
  var evaluated: [[String: String]] { locked { _evaluated } }
  var interrupts: Int { locked { _interrupts } }
  var shutdowns: Int { locked { _shutdowns } }

  func execute(_ cell: CellRequest, output: OutputSink) -> ExecutionOutcome {
    locked { _executed.append(cell) }
    let (verb, argument) = Self.split(cell.code)
    switch verb {
    case "print":
      output.emit(.stream(name: .stdout, text: argument + "\n"))
      return .ok(result: nil)
    case "value":
      return .ok(result: DisplayBundle(data: ["text/plain": argument]))
    case "display":
      output.emit(.display(DisplayBundle(data: ["text/plain": argument], displayID: "d1")))
      output.emit(.updateDisplay(DisplayBundle(data: ["text/plain": argument + "!"], displayID: "d1")))
      return .ok(result: nil)
    case "fail":
      return .failed(Self.boom)
    case "die":
      output.emit(.stream(name: .stderr, text: "about to die\n"))
      return .failed(
        CellError(name: "FatalError", value: "the executor stopped", traceback: ["Fatal error", "state was reset"]))
    case "input":
      cellStarted.signal()
      let line = output.readInput(argument, argument.hasPrefix("password"))
      return .ok(result: DisplayBundle(data: ["text/plain": line ?? "nil"]))
    case "spin":
      cellStarted.signal()
      let stopped = interruption.wait(timeout: .now() + 10) == .success
      return stopped
        ? .failed(CellError(name: "Interrupted", value: "the cell was interrupted", traceback: ["state is kept"]))
        : .ok(result: nil)
    default:
      return .ok(result: nil)
    }
  }

  func evaluate(_ expressions: [String: String], output: OutputSink) -> [String: ExpressionOutcome] {
    locked { _evaluated.append(expressions) }
    return expressions.mapValues { code in
      code == "fail" ? .failed(Self.boom) : .value(DisplayBundle(data: ["text/plain": "<\(code)>"]))
    }
  }

  func interrupt(serial: Int) {
    locked { _interrupts += 1 }
    interruption.signal()
  }

  func complete(_ code: String, cursor: Int) -> Completion {
    let prefix = String(code.unicodeScalars.prefix(cursor))
    let word = String(prefix.split(whereSeparator: { !$0.isLetter }).last ?? "")
    let matches = ["alpha", "alphabet", "beta"].filter { $0.hasPrefix(word) }
    return Completion(matches: matches, cursorStart: cursor - word.unicodeScalars.count, cursorEnd: cursor)
  }

  func inspect(_ code: String, cursor: Int, detailLevel: Int) -> Inspection? {
    code.contains("alpha") ? Inspection(data: ["text/plain": "let alpha: Int (detail \(detailLevel))"]) : nil
  }

  func isComplete(_ code: String) -> CodeCompleteness {
    code.hasSuffix("{") ? .incomplete(indent: "  ") : code.hasSuffix("}}") ? .invalid : .complete
  }

  func shutdown() {
    locked { _shutdowns += 1 }
    interruption.signal()
  }

  static let boom = CellError(name: "Boom", value: "it failed", traceback: ["Boom: it failed", "  at <Cell 1>:1"])

  private static func split(_ code: String) -> (String, String) {
    let parts = code.split(separator: " ", maxSplits: 1)
    return (parts.first.map(String.init) ?? "", parts.count > 1 ? String(parts[1]) : "")
  }

  private func locked<T>(_ body: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }
}
