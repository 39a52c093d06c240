import CellCompiler
import ExecutorWire
import Foundation
import Kernel
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What running a cell gave, in one value: how it ended, what it cost (for `%time`), and the values of
/// the user expressions it reported by index.
struct CellRun {
  var outcome: ExecutionOutcome
  /// The executor's wall and CPU time around the entry point; nil when the cell did not run to its end.
  var usage: CellUsage?
  /// Seconds the compile took (0 for a cell run from a library compiled before).
  var compileSeconds: Double = 0
  var expressionValues: [Int: ExpressionOutcome] = [:]

  init(_ outcome: ExecutionOutcome) { self.outcome = outcome }
}

/// Running a compiled cell in the executor: the wait for its events and streams, and how it ended —
/// finished, threw, was interrupted, trapped, or took the executor down with it.
extension ExecutorHost {
  /// Runs a compiled library in the executor and relays its output until it finishes or dies.
  func run(_ compiled: CompiledCell, label: Int, allowStdin: Bool, output direct: OutputSink) -> CellRun {
    var run = CellRun(.ok(result: nil))
    run.outcome = wait(for: compiled, label: label, allowStdin: allowStdin, output: direct, into: &run)
    return run
  }

  /// The run's wait: relays what the cell prints and displays, files its usage and expression values
  /// in `run`, and returns how it ended.
  private func wait(
    for compiled: CompiledCell, label: Int, allowStdin: Bool, output direct: OutputSink, into run: inout CellRun
  ) -> ExecutionOutcome {
    let batcher = StreamBatcher(direct)
    defer { batcher.flush() }
    let output = batcher.sink
    if executor == nil { startExecutor() }
    let command = ExecutorCommand.run(library: compiled.library, entry: compiled.entryPoint, allowStdin: allowStdin)
    if let current = executor, !current.send(command) {
      // It died since the last cell and its pipes had not told yet: a new one runs the cell.
      noticeExitBetweenCells(output, knownDead: true)
      _ = executor?.send(command)
    }
    guard let executor else {
      return .failed(
        CellError(
          name: "ExecutorError", value: "the executor is not running",
          traceback: ["The executor could not be started; see the kernel log."]))
    }
    var stderr = StderrRelay()
    var result: DisplayBundle?
    var reported: CellError?
    var hardStopSent = false
    while true {
      let deadline = control.withLock { $0.interruptDeadline }
      let wake = [deadline, batcher.due].compactMap { $0 }.min()
      let timeout = wake.map { max(0, Int32($0.timeIntervalSinceNow * 1000) + 1) } ?? -1
      Poll.readable(executor.pollDescriptors + [wakePipe.read], milliseconds: timeout)
      drainWakePipe()
      relayStreams(of: executor, stderr: &stderr, to: output)
      let events = executor.pendingEvents()
      if !events.isEmpty { relayStreams(of: executor, stderr: &stderr, to: output) }
      for event in events {
        switch event {
        case .ready: break
        case .display(let bundle): output.emit(.display(bundle))
        case .updateDisplay(let bundle): output.emit(.updateDisplay(bundle))
        case .clearOutput(let wait): output.emit(.clearOutput(wait: wait))
        case .stream(let name, let text): output.emit(.stream(name: name, text: text))
        case .result(let bundle): result = bundle
        case .expression(let index, let outcome): run.expressionValues[index] = outcome
        case .usage(let usage): run.usage = usage
        case .loaded: break
        case .inputRequest(let prompt, let password):
          executor.reply(input: output.readInput(prompt, password))
        case .cellError(let name, let value):
          if reported == nil { reported = CellError(name: name, value: value, traceback: ["\(name): \(value)"]) }
        case .finished(let outcome):
          let held = stderr.finish(trapped: { if case .trapped = outcome { true } else { false } }())
          if !held.isEmpty { output.emit(.stream(name: .stderr, text: held)) }
          switch outcome {
          case .ok: return reported.map(ExecutionOutcome.failed) ?? .ok(result: result)
          case .error(let name, let value):
            return .failed(CellError(name: name, value: value, traceback: ["\(name): \(value)"]))
          case .interrupted: return .failed(Self.interruptedError)
          case .trapped(let trap): return trapped(trap, message: stderr.trapMessage, running: compiled, as: label)
          }
        }
      }
      batcher.flushIfDue()
      if executor.eventsClosed {
        return executorDied(stderr: stderr, output: output, afterInterrupt: false, running: compiled, as: label)
      }
      let (shutDown, deadlinePassed) = control.withLock {
        ($0.shutDown, $0.interruptDeadline.map { Date() >= $0 } ?? false)
      }
      if shutDown {
        executor.terminate()
        return .failed(CellError(name: "Shutdown", value: "the kernel is shutting down", traceback: []))
      }
      if deadlinePassed && !hardStopSent {
        // The cell ignored the interrupt: the executor stops it where it stands in its own code (its
        // guard tries every few ms, never inside malloc, a lock or the runtime).
        hardStopSent = true
        kill(executor.pid, SIGUSR2)
        control.withLock { $0.interruptDeadline = Date().addingTimeInterval(Self.hardStopGrace) }
      } else if deadlinePassed {
        // The last resort: it never reached its own code in that time.
        executor.terminate()
        return executorDied(stderr: stderr, output: output, afterInterrupt: true, running: compiled, as: label)
      }
    }
  }

  /// Streams what the executor printed; stderr goes through the trap filter.
  private func relayStreams(of executor: ExecutorProcess, stderr: inout StderrRelay, to output: OutputSink) {
    let printed = executor.readText(stream: 1)
    if !printed.isEmpty { output.emit(.stream(name: .stdout, text: printed)) }
    let shown = stderr.filter(compiler.cellFiles.labelled(executor.readText(stream: 2)))
    if !shown.isEmpty { output.emit(.stream(name: .stderr, text: shown)) }
  }

  /// Seconds the executor has to stop a cell in its own code before it is restarted.
  static let hardStopGrace: TimeInterval = 3

  static let interruptedWhileCompilingError = CellError(
    name: "Interrupted", value: "the cell was interrupted while it compiled",
    traceback: [
      "Interrupted: the cell was interrupted while it compiled, so it did not run; the session's state is kept."
    ])

  static let interruptedBeforeItStartedError = CellError(
    name: "Interrupted", value: "the cell was interrupted before it started",
    traceback: ["Interrupted: the cell was interrupted before it started, so it did not run; the session's state is kept."])

  static let interruptedError = CellError(
    name: "Interrupted", value: "the cell was interrupted",
    traceback: ["Interrupted: the cell stopped early at your request; the session's state is kept."])

  /// What a restart kept and what it lost, by name.
  static func restartNote(lost: [String]) -> String {
    let kept =
      "The executor was restarted with the earlier cells loaded again: their functions, types and extensions still work."
    guard !lost.isEmpty else { return kept }
    let names =
      lost.count > 12
      ? lost.prefix(12).joined(separator: ", ") + " and \(lost.count - 12) more" : lost.joined(separator: ", ")
    return kept + " Their values were lost: \(names). Run the cells that define them again."
  }

  static let keptNote =
    "The cell stopped there; the session's state is kept: what ran before the fault stays done, and the variables, functions and types of earlier cells are still defined."

  /// A trap ended the cell and the executor lives on: the error names the trap and the cell's line.
  private func trapped(_ trap: Trap, message: String?, running compiled: CompiledCell, as label: Int)
    -> ExecutionOutcome
  {
    if trap.signal == SIGUSR1 {
      return .failed(
        CellError(
          name: "Interrupted", value: "the cell did not stop by itself, so it was stopped where it was",
          traceback: [
            "Interrupted: the cell did not stop within \(Int(interruptGrace)) s of the interrupt, so it was stopped where it was; the session's state is kept."
          ]))
    }
    var report = TrapReport(message: message)
    report.read(frames: trap.frames, symbolizer: compiler.toolchain.symbolizer, files: compiler.cellFiles)
    if report.cell == compiled.label { report.cell = label }
    let text =
      report.message
      ?? (trap.stackOverflow
        ? "Stack overflow: the recursion went too deep"
        : "signal \(trap.signal): \(String(cString: strsignal(trap.signal)))")
    // A refused allocation is the user's mistake, as Python's MemoryError is; it gets that name.
    let name = trap.signal == SIGABRT ? "MemoryError" : "FatalError"
    return .failed(
      CellError(name: name, value: text, traceback: traceback(for: report, message: text) + [Self.keptNote]))
  }

  /// "Fatal error: …", then where in which cell, and that line of the cell.
  private func traceback(for report: TrapReport, message: String) -> [String] {
    var traceback = ["Fatal error: \(message)"]
    if let label = report.cell, let line = report.line {
      traceback.append("  at \(CellLabel(label)):\(line)")
      if let source = compiler.source(ofCell: label) {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        if line >= 1, line <= lines.count {
          traceback.append("  " + lines[line - 1].trimmingCharacters(in: .whitespaces))
        }
      }
    }
    return traceback
  }

  /// The executor ended in the middle of a cell (a trap, a kill after an interrupt): start a fresh one,
  /// forget the old state, and say so in the cell's error.
  /// `compiled` ran as `<Cell label>`: a cell run again from its first compile carries that compile's label.
  private func executorDied(
    stderr: StderrRelay, output: OutputSink, afterInterrupt: Bool, running compiled: CompiledCell, as label: Int
  ) -> ExecutionOutcome {
    guard let executor else { return .failed(Self.interruptedError) }
    var stderr = stderr
    relayStreams(of: executor, stderr: &stderr, to: output)
    let status = executor.reap()
    var report = TrapReport(message: stderr.trapMessage)
    report.read(crashReportAt: executor.crashReportPath, files: compiler.cellFiles)
    if report.cell == compiled.label { report.cell = label }
    let lostDebugger = control.withLock { state in
      defer { state.debuggerLost = false }
      return state.debuggerLost
    }
    let note = (lostDebugger ? Self.debuggerLostNote + " " : "") + Self.restartNote(lost: restartExecutor())
    if afterInterrupt {
      return .failed(
        CellError(
          name: "Interrupted", value: "the cell did not stop, so the executor was restarted",
          traceback: ["Interrupted: the cell did not stop within \(Int(interruptGrace)) s of the interrupt.", note]))
    }
    let message = report.message ?? "the executor stopped (\(Self.describe(status: status)))"
    var traceback = traceback(for: report, message: message)
    traceback.append(note)
    return .failed(CellError(name: "FatalError", value: message, traceback: traceback))
  }

  /// An executor that ended between cells (killed from outside, a trap on a background thread) is
  /// reported on the next cell's stderr, with what it printed before it ended.
  /// `knownDead`: a write to it failed, so it has ended even if its pipes have not said so yet.
  func noticeExitBetweenCells(_ output: OutputSink, knownDead: Bool = false) {
    guard let executor else { return }
    var stderr = StderrRelay()
    relayStreams(of: executor, stderr: &stderr, to: output)
    _ = executor.pendingEvents()
    guard executor.eventsClosed || knownDead else { return }
    let status = executor.reap()
    let lostDebugger = control.withLock { state in
      defer { state.debuggerLost = false }
      return state.debuggerLost
    }
    let lost = restartExecutor()
    let why =
      lostDebugger ? Self.debuggerLostNote : "The executor stopped unexpectedly (\(Self.describe(status: status)))."
    output.emit(.stream(name: .stderr, text: "\(why) \(Self.restartNote(lost: lost))\n"))
  }
}
