import ExecutorWire
import Foundation
import JupyterProtocol

/// A cell to compile and run, from an `execute_request`.
package struct CellRequest: Sendable, Equatable {
  package var code: String
  /// The number the user knows the cell by: `<Cell N>` in its errors.
  package var label: Int
  package var allowStdin: Bool
  /// Which request this is, unique in the session: an interrupt names the cell it is meant for.
  package var serial: Int

  package init(code: String, label: Int, allowStdin: Bool, serial: Int = 0) {
    self.code = code
    self.label = label
    self.allowStdin = allowStdin
    self.serial = serial
  }
}

/// How a cell ended: the one value the dispatcher turns into the reply.
package enum ExecutionOutcome: Sendable, Equatable {
  /// The cell ran to its end; `result` is its last expression's value, if it has one.
  case ok(result: DisplayBundle?)
  case failed(CellError)
}

/// Output a running cell produces, in the order it produced it.
package enum CellOutput: Sendable, Equatable {
  case stream(name: StreamName, text: String)
  case display(DisplayBundle)
  case updateDisplay(DisplayBundle)
  case clearOutput(wait: Bool)
}

/// Where a running cell's output goes, and where it asks for input. The kernel makes one per request.
package struct OutputSink: Sendable {
  /// Publishes output under the request (nothing for a silent request).
  package var emit: @Sendable (CellOutput) -> Void
  /// Asks the client for a line (`input_request`), waiting for the answer; nil when the request did not
  /// allow input or the cell was interrupted.
  package var readInput: @Sendable (_ prompt: String, _ password: Bool) -> String?

  package init(
    emit: @escaping @Sendable (CellOutput) -> Void,
    readInput: @escaping @Sendable (_ prompt: String, _ password: Bool) -> String?
  ) {
    self.emit = emit
    self.readInput = readInput
  }
}

/// Matches for `complete_request`; cursor positions count Unicode scalars.
package struct Completion: Sendable, Equatable {
  package var matches: [String]
  package var cursorStart: Int
  package var cursorEnd: Int
  package var metadata: JSON

  package init(matches: [String], cursorStart: Int, cursorEnd: Int, metadata: JSON = [:]) {
    self.matches = matches
    self.cursorStart = cursorStart
    self.cursorEnd = cursorEnd
    self.metadata = metadata
  }
}

/// What `inspect_request` shows, by MIME type.
package struct Inspection: Sendable, Equatable {
  package var data: [String: String]

  package init(data: [String: String]) { self.data = data }
}

/// What runs cells for the kernel: the kernel keeps the protocol's books, this side compiles and runs.
///
/// `execute` and `evaluate` are called on the kernel's execution thread, one call at a time, and
/// return only when the work is over; every output they produce goes through `output` before they
/// return. The other methods are called on the dispatcher thread, possibly while a cell runs.
package protocol CellExecuting: AnyObject, Sendable {
  /// Compiles and runs a cell.
  func execute(_ cell: CellRequest, output: OutputSink) -> ExecutionOutcome
  /// Evaluates a successful cell's user expressions, keyed as the request keyed them.
  func evaluate(_ expressions: [String: String], output: OutputSink) -> [String: ExpressionOutcome]
  /// Asks cell `serial` to stop: while it compiles or runs, or, when the execution thread has not started
  /// it yet, as soon as it starts. An interrupt meant for a cell that has ended does nothing.
  func interrupt(serial: Int)
  func complete(_ code: String, cursor: Int) -> Completion
  /// nil when there is nothing to show at the cursor.
  func inspect(_ code: String, cursor: Int, detailLevel: Int) -> Inspection?
  func isComplete(_ code: String) -> CodeCompleteness
  /// Stops the executor for good: the kernel is exiting. A running `execute` returns soon after.
  func shutdown()
}
