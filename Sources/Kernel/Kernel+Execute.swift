import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol

/// The execute request being served: the cell runs in the executor while the kernel relays its output.
struct RunningCell {
  enum Phase { case cell, userExpression(key: String) }
  var envelope: Envelope
  var channel: Kernel.Channel
  var code: String
  var silent: Bool
  var storeHistory: Bool
  var allowStdin: Bool
  var stopOnError: Bool
  var count: Int
  var phase = Phase.cell
  var pendingExpressions: [(key: String, code: String)] = []
  var expressionResults: [String: JSON] = [:]
  var awaitingInput = false
  var interruptDeadline: Date?
  var killedAfterInterrupt = false
  var trapMessage: String?
  /// An error the runtime reported without trapping; it becomes the cell's error when the cell ends.
  var reportedError: (name: String, value: String)?
  var stderrTail = ""
  var resultText: String?

  var parent: JSON { envelope.message.header }
}

extension Kernel {
  /// Starts an execute request; returns true when it already finished (error, empty cell).
  func startExecution(_ envelope: Envelope, on channel: Channel) -> Bool {
    let content = envelope.message.content
    let code = content["code"]?.string ?? ""
    let silent = content["silent"]?.bool ?? false
    let storeHistory = silent ? false : (content["store_history"]?.bool ?? true)
    if storeHistory { executionCount += 1 }
    var cell = RunningCell(
      envelope: envelope, channel: channel, code: code, silent: silent, storeHistory: storeHistory,
      allowStdin: content["allow_stdin"]?.bool ?? true, stopOnError: content["stop_on_error"]?.bool ?? true,
      count: executionCount)
    for (key, value) in (content["user_expressions"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
      cell.pendingExpressions.append((key, value.string ?? ""))
    }
    if !silent {
      publish("execute_input", content: ["code": .string(code), "execution_count": .int(cell.count)], parent: cell.parent)
    }
    if storeHistory { history.append(line: cell.count, input: code) }
    running = cell
    if code.allSatisfy(\.isWhitespace) {
      return continueWithUserExpressions()
    }
    return run(code: code, label: cell.count)
  }

  /// Compiles and starts code in the executor; returns true when the request is already answered.
  private func run(code: String, label: Int) -> Bool {
    let outcome: Result<CompiledCell, CompileFailure>
    do {
      outcome = try compiler.compile(code, label: label)
    } catch {
      return fail(name: "CompileError", value: "\(error)", traceback: ["error: \(error)"])
    }
    switch outcome {
    case .failure(let failure):
      return fail(name: "CompileError", value: failure.summary, traceback: failure.traceback)
    case .success(let compiled):
      if case .cell = running?.phase { names.learn(cell: code) }
      if executor == nil { startExecutor() }
      guard let executor,
        executor.send(.run(library: compiled.library, entry: compiled.entryPoint, allowStdin: running!.allowStdin))
      else {
        return fail(name: "ExecutorError", value: "the executor is not running", traceback: ["The executor could not be started; see the kernel log."])
      }
      return false
    }
  }

  /// Runs the next user expression, or answers the request when none is left.
  private func continueWithUserExpressions() -> Bool {
    guard var cell = running else { return true }
    guard !cell.pendingExpressions.isEmpty else {
      reply(status: "ok", extra: [:])
      return true
    }
    let next = cell.pendingExpressions.removeFirst()
    cell.phase = .userExpression(key: next.key)
    running = cell
    return run(code: next.code, label: 0)
  }

  /// Reports an error for the running request and answers it; for the main cell it also aborts queued work.
  @discardableResult
  func fail(name: String, value: String, traceback: [String]) -> Bool {
    guard var cell = running else { return true }
    if case .userExpression(let key) = cell.phase {
      cell.expressionResults[key] = ["status": "error", "ename": .string(name), "evalue": .string(value), "traceback": .array(traceback.map(JSON.string))]
      running = cell
      return continueWithUserExpressions()
    }
    let error: JSON = ["ename": .string(name), "evalue": .string(value), "traceback": .array(traceback.map(JSON.string))]
    if !cell.silent { publish("error", content: error, parent: cell.parent) }
    // Abort what was queued before answering: a request sent after the client has seen this reply must
    // run (answering first raced with a client that sends its next cell at once).
    if cell.stopOnError { abortQueuedExecutions() }
    reply(status: "error", extra: error.object ?? [:])
    return true
  }

  private func reply(status: String, extra: [String: JSON]) {
    guard let cell = running else { return }
    var content: [String: JSON] = ["status": .string(status), "execution_count": .int(cell.count)]
    if status == "ok" {
      content["payload"] = []
      content["user_expressions"] = .object(cell.expressionResults)
    }
    content.merge(extra) { _, new in new }
    if cell.storeHistory, let output = cell.resultText { history.setOutput(line: cell.count, output: output) }
    send("execute_reply", content: .object(content), to: cell.envelope, on: cell.channel)
    running = nil
  }

  /// Answers the execute requests already queued on shell with an error, as `stop_on_error` asks.
  private func abortQueuedExecutions() {
    while let frames = try? shell.receive(wait: false) {
      guard let envelope = try? codec.decode(frames) else { continue }
      guard envelope.message.type == "execute_request" else {
        deferredShell.append(envelope)
        continue
      }
      let parent = envelope.message.header
      publishStatus("busy", parent: parent)
      send(
        "execute_reply",
        content: [
          "status": "error", "execution_count": .int(executionCount), "ename": "ExecutionAborted",
          "evalue": "an earlier cell failed", "traceback": ["Not run: an earlier cell failed."],
        ], to: envelope, on: .shell)
      publishStatus("idle", parent: parent)
    }
  }

  /// The cell's end as the executor reports it.
  func finishCell(_ outcome: CellOutcome) {
    guard let cell = running else { return }
    let done: Bool
    var outcome = outcome
    if outcome == .ok, let reported = cell.reportedError { outcome = .error(name: reported.name, value: reported.value) }
    switch outcome {
    case .ok:
      if case .userExpression(let key) = cell.phase {
        var updated = cell
        if updated.expressionResults[key] == nil {
          updated.expressionResults[key] = ["status": "ok", "data": ["text/plain": "()"], "metadata": [:]]
        }
        running = updated
      }
      done = continueWithUserExpressions()
    case .error(let name, let value):
      done = fail(name: name, value: value, traceback: ["\(name): \(value)"])
    case .interrupted:
      done = fail(
        name: "Interrupted", value: "the cell was interrupted",
        traceback: ["Interrupted: the cell stopped early at your request; the session's state is kept."])
    }
    if done { publishStatus("idle", parent: cell.parent) }
  }

  func interruptRunningCell() {
    guard var cell = running, let executor else { return }
    executor.interrupt()
    if cell.awaitingInput {
      executor.reply(input: nil)
      cell.awaitingInput = false
    }
    if cell.interruptDeadline == nil { cell.interruptDeadline = Date().addingTimeInterval(interruptGrace) }
    running = cell
  }

  /// A cell that ignores the stop request is ended by restarting the executor.
  func checkInterruptDeadline() {
    guard var cell = running, let deadline = cell.interruptDeadline, Date() >= deadline, let executor else { return }
    cell.killedAfterInterrupt = true
    running = cell
    executor.terminate()
    executorDied()
  }

  var interruptGrace: TimeInterval { 2 }
}
