import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol

#if canImport(Glibc)
  import Glibc
#endif

extension Kernel {
  func startExecutor() {
    executorGeneration += 1
    do {
      executor = try ExecutorProcess(launch, generation: executorGeneration)
    } catch {
      log("\(error)")
      executor = nil
    }
  }

  /// Relays what the executor wrote: streams first, so text printed before an event precedes it.
  func pumpExecutor() {
    guard let executor else { return }
    relayStreams()
    let events = executor.pendingEvents()
    if !events.isEmpty { relayStreams() }
    for event in events { handle(event) }
    if executor.eventsClosed, self.executor === executor { executorDied() }
  }

  private var outputParent: JSON { running?.parent ?? lastParent }
  private var outputSilenced: Bool { running?.silent ?? false }

  func relayStreams() {
    guard let executor else { return }
    if let bytes = ExecutorProcess.readAvailable(executor.stdoutFD), !bytes.isEmpty {
      stream("stdout", executor.decode(bytes, stream: 1))
    }
    if let bytes = ExecutorProcess.readAvailable(executor.stderrFD), !bytes.isEmpty {
      relayStderr(executor.decode(bytes, stream: 2))
    }
  }

  private func stream(_ name: String, _ text: String) {
    guard !text.isEmpty, !outputSilenced else { return }
    publish("stream", content: ["name": .string(name), "text": .string(text)], parent: outputParent)
  }

  /// Streams stderr, holding back the lines a trap prints (they become the error output instead).
  private func relayStderr(_ text: String) {
    // After a trap's message the process is dying: the rest is the backtracer's own chatter.
    guard running?.trapMessage == nil else { return }
    var pending = (running?.stderrTail ?? "") + text
    var shown = ""
    while let newline = pending.firstIndex(of: "\n") {
      let line = String(pending[..<newline])
      pending = String(pending[pending.index(after: newline)...])
      if let range = line.range(of: "Fatal error: ") ?? line.range(of: "Fatal error") {
        let message = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        running?.trapMessage = message.isEmpty ? "Fatal error" : message
        stream("stderr", shown)
        return
      } else if line.hasPrefix("*** Signal ") || line.hasPrefix("💣") {
        continue
      } else {
        shown += line + "\n"
      }
    }
    // Keep a partial line only while it could still turn out to be a trap's line.
    if pending.contains("Fatal error") || pending.hasPrefix("***") {
      running?.stderrTail = pending
    } else {
      shown += pending
      running?.stderrTail = ""
    }
    stream("stderr", shown)
  }

  private func handle(_ event: ExecutorEvent) {
    switch event {
    case .ready: break
    case .display(let bundle):
      guard !outputSilenced else { return }
      publish("display_data", content: displayContent(bundle), parent: outputParent)
    case .updateDisplay(let bundle):
      guard !outputSilenced else { return }
      publish("update_display_data", content: displayContent(bundle), parent: outputParent)
    case .clearOutput(let wait):
      guard !outputSilenced else { return }
      publish("clear_output", content: ["wait": .bool(wait)], parent: outputParent)
    case .result(let bundle):
      guard var cell = running else { return }
      if case .userExpression(let key) = cell.phase {
        cell.expressionResults[key] = ["status": "ok", "data": stringObject(bundle.data), "metadata": stringObject(bundle.metadata)]
        running = cell
        return
      }
      cell.resultText = bundle.data["text/plain"]
      running = cell
      guard !cell.silent else { return }
      publish(
        "execute_result",
        content: ["execution_count": .int(cell.count), "data": stringObject(bundle.data), "metadata": stringObject(bundle.metadata)],
        parent: cell.parent)
    case .inputRequest(let prompt, let password):
      guard var cell = running, cell.allowStdin else {
        executor?.reply(input: nil)
        return
      }
      cell.awaitingInput = true
      running = cell
      send("input_request", content: ["prompt": .string(prompt), "password": .bool(password)], to: cell.envelope, on: .stdin)
    case .stream(let name, let text):
      stream(name, text)
    case .cellError(let name, let value):
      if running?.reportedError == nil { running?.reportedError = (name, value) }
    case .finished(let outcome):
      finishCell(outcome)
    }
  }

  private func displayContent(_ bundle: DisplayBundle) -> JSON {
    var content: JSON = ["data": stringObject(bundle.data), "metadata": stringObject(bundle.metadata), "transient": [:]]
    if let id = bundle.displayID { content["transient"] = ["display_id": .string(id)] }
    return content
  }

  private func stringObject(_ values: [String: String]) -> JSON { .object(values.mapValues(JSON.string)) }

  func handleInputReply(_ envelope: Envelope) {
    guard envelope.message.type == "input_reply", var cell = running, cell.awaitingInput, let executor else { return }
    cell.awaitingInput = false
    running = cell
    executor.reply(input: envelope.message.content["value"]?.string ?? "")
  }

  /// The executor ended (a trap, a kill after an interrupt): report it, start a fresh one, forget the old state.
  func executorDied() {
    guard let executor else { return }
    relayStreams()
    let status = executor.reap()
    var report = TrapReport(message: running?.trapMessage)
    report.read(crashReportAt: executor.crashReportPath)
    self.executor = nil
    compiler.reset()
    names.forgetCells()
    startExecutor()
    let resetNote =
      "The executor was restarted, so the session's state was reset: variables, functions and types from earlier cells are gone. Run the cells you need again."
    guard let cell = running else {
      stream("stderr", "The executor stopped unexpectedly (\(describe(status: status))). \(resetNote)\n")
      return
    }
    let done: Bool
    if cell.killedAfterInterrupt {
      done = fail(
        name: "Interrupted", value: "the cell did not stop, so the executor was restarted",
        traceback: ["Interrupted: the cell did not stop within \(Int(interruptGrace)) s of the interrupt.", resetNote])
    } else {
      let message = report.message ?? "the executor stopped (\(describe(status: status)))"
      var traceback = ["Fatal error: \(message)"]
      if let label = report.cell, let line = report.line {
        traceback.append("  at <Cell \(label)>:\(line)")
        if let source = compiler.source(ofCell: label) {
          let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
          if line >= 1, line <= lines.count { traceback.append("  " + lines[line - 1].trimmingCharacters(in: .whitespaces)) }
        }
      }
      traceback.append(resetNote)
      done = fail(name: "FatalError", value: message, traceback: traceback)
    }
    if done { publishStatus("idle", parent: cell.parent) }
  }

  private func describe(status: Int32) -> String {
    let signal = status & 0x7f
    if signal != 0 { return "signal \(signal): \(String(cString: strsignal(signal)))" }
    return "exit status \((status >> 8) & 0xff)"
  }
}
