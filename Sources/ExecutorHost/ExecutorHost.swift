import CellCompiler
import ExecutorWire
import Foundation
import Kernel
import ProcessSupport
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The kernel's executing side: compiles each cell into a library, has the executor child process
/// run it, relays what it prints and displays, and turns how it ended into one `ExecutionOutcome`.
/// Traps, stderr bookkeeping and restarts of the executor all stay on this side of the seam.
package final class ExecutorHost: CellExecuting, @unchecked Sendable {
  /// Seconds a cell has to stop after an interrupt before its executor is restarted.
  let interruptGrace: TimeInterval
  let compiler: CellCompiler
  let launch: ExecutorLaunch
  let names: NameIndex
  /// SourceKit's completions, from a server process started at the first request.
  let completions: CompletionClient
  /// The executor child; the execution thread alone replaces it.
  var executor: ExecutorProcess?
  private var generation = 0
  /// Held while a cell or an inspection compiles and runs: inspection (on the dispatcher thread)
  /// runs code only when no cell does.
  let work = NSLock()
  /// Variables inspected since the last cell ran: their type and value.
  var inspected: [String: (type: String, value: String)] = [:]
  /// Libraries of packages `%install` built, loaded before any cell's in every executor.
  var installedLibraries: [String] = []
  /// What `interrupt` and `shutdown` share with the execution thread.
  let control = Mutex(Control())
  /// `interrupt` and `shutdown` write here to wake the wait for the executor's events.
  let wakePipe: (read: Int32, write: Int32)
  /// JupyterLab's debugger, told when the executor starts, a cell is interrupted or ends.
  package var debugger: Debugger?
  /// The session's variables after the last cell, for the debugger's `inspectVariables` (read on the
  /// dispatcher thread while a cell runs).
  let sessionVariables = Mutex<[String]>([])

  struct Control {
    var pid: pid_t?
    /// The compiler or linker running for a cell, which an interrupt stops.
    var tool: pid_t?
    var busy = false
    /// The cell being worked on (`CellRequest.serial`), while `busy`.
    var serial = 0
    /// An interrupt for a cell the execution thread had not started yet; it applies when that one starts.
    var pendingInterrupt: Int?
    var interrupted = false
    var interruptDeadline: Date?
    var shutDown = false
    /// The process group of a shell command (`!`, `%%bash`) or package build running for a cell.
    var shellGroup: pid_t?
    /// lldb-dap died while attached: the executor was killed, and its restart says why.
    var debuggerLost = false
  }

  package init(compiler: CellCompiler, launch: ExecutorLaunch, interruptGrace: TimeInterval = 2) throws {
    self.compiler = compiler
    self.launch = launch
    self.interruptGrace = interruptGrace
    // A child that died since the last look (the executor killed between cells, the completion server)
    // must cost a write's EPIPE, never this process: SIGPIPE's default would end the kernel in silence.
    signal(SIGPIPE, SIG_IGN)
    names = NameIndex(
      runtimeModules: compiler.moduleSearchPaths, toolchain: compiler.toolchain, workDirectory: compiler.workDirectory)
    wakePipe = try Subprocess.pipe()
    completions = CompletionClient(
      program: launch.program, arguments: ["sourcekit", "--library", compiler.toolchain.sourceKitLibrary])
    compiler.toolStarted = { [weak self] pid in self?.control.withLock { $0.tool = pid } }
    compiler.stopRequested = { [weak self] in self?.control.withLock { $0.interrupted || $0.shutDown } ?? true }
    for fd in [wakePipe.read, wakePipe.write] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    startExecutor()
  }

  deinit {
    close(wakePipe.read)
    close(wakePipe.write)
  }

  // MARK: CellExecuting

  package func execute(_ cell: CellRequest, output: OutputSink) -> ExecutionOutcome {
    work.lock()
    defer { work.unlock() }
    noticeExitBetweenCells(output)
    inspected = [:]
    beginWork(serial: cell.serial)
    defer {
      endWork()
      sessionVariables.withLock { $0 = compiler.variables }
      debugger?.cellFinished()
    }
    if control.withLock({ $0.interrupted }) { return .failed(Self.interruptedBeforeItStartedError) }
    let steps: [CellStep]?
    do {
      steps = try Magics.steps(of: cell.code)
    } catch {
      return .failed(error.cellError)
    }
    let outcome = steps.map { run($0, of: cell, output: output) } ?? runSwift(cell.code, cell, output: output).outcome
    // A client that can answer input is a person's (JupyterLab, a console), who may press Tab next;
    // headless runs (nbclient, papermill, `swift-kernel run`) do not allow input and need no SourceKit.
    if cell.allowStdin { prepareCompletion() }
    return outcome
  }

  /// Compiles and runs Swift code as the cell `cell` (all of it, or one step of a cell with magics).
  func runSwift(_ code: String, _ cell: CellRequest, output: OutputSink) -> CellRun {
    let started = Date()
    let compile = self.compile(code, label: cell.label, cell: cell.code)
    let compileSeconds = Date().timeIntervalSince(started)
    if control.withLock({ $0.interrupted }) {
      // Interrupted while compiling. A cell that compiled all the same is loaded without being run, so
      // that later cells that use its declarations still link.
      if case .success(let compiled) = compile { executor?.send(.load(library: compiled.library)) }
      return CellRun(.failed(Self.interruptedWhileCompilingError))
    }
    let compiled: CompiledCell
    switch compile {
    case .success(let cell): compiled = cell
    case .failure(let error): return CellRun(.failed(error))
    }
    names.learn(cell: code)
    let clock = StageClock()
    defer { clock.mark("run (the command, dlopen, the cell, its events)") }
    var ran = run(compiled, label: cell.label, allowStdin: cell.allowStdin, output: output)
    ran.compileSeconds = compileSeconds
    return ran
  }

  /// All of a request's expressions in one compile, each in a call of the runtime's `__userExpression`
  /// that reports its value or error by index; when that compile fails, each on its own, so each gets
  /// its own error.
  package func evaluate(_ expressions: [String: String], output: OutputSink) -> [String: ExpressionOutcome] {
    guard !expressions.isEmpty else { return [:] }
    work.lock()
    defer { work.unlock() }
    beginWork()
    defer { endWork() }
    let keys = expressions.keys.sorted()
    let combined = keys.enumerated().map { "__userExpression(\($0.offset), {\n\(expressions[$0.element]!)\n})" }
    if case .success(let compiled) = compile(combined.joined(separator: "\n"), label: 0) {
      let ran = run(compiled, label: 0, allowStdin: false, output: output)
      var results: [String: ExpressionOutcome] = [:]
      for (index, key) in keys.enumerated() {
        switch (ran.expressionValues[index], ran.outcome) {
        case (let value?, _): results[key] = value
        case (nil, .failed(let error)): results[key] = .failed(error)
        case (nil, .ok):
          results[key] = .failed(CellError(name: "NoValue", value: "the expression gave no value", traceback: []))
        }
      }
      return results
    }
    var results: [String: ExpressionOutcome] = [:]
    for key in keys {
      let outcome: ExecutionOutcome
      switch compile(expressions[key]!, label: 0) {
      case .success(let compiled): outcome = run(compiled, label: 0, allowStdin: false, output: output).outcome
      case .failure(let error): outcome = .failed(error)
      }
      switch outcome {
      case .ok(let result): results[key] = .value(result ?? DisplayBundle(data: ["text/plain": "()"]))
      case .failed(let error): results[key] = .failed(error)
      }
    }
    return results
  }

  /// Compiles a cell; a compile error or a toolchain that cannot run is the cell's `CompileError`.
  func compile(_ code: String, label: Int, cell: String? = nil) -> Result<CompiledCell, CellError> {
    do {
      switch try compiler.compile(code, label: label, cell: cell) {
      case .success(let compiled): return .success(compiled)
      case .failure(let failure):
        return .failure(CellError(name: "CompileError", value: failure.summary, traceback: failure.traceback))
      }
    } catch {
      return .failure(CellError(name: "CompileError", value: "\(error)", traceback: ["error: \(error)"]))
    }
  }

  package func interrupt(serial: Int) {
    let pid = control.withLock { state -> pid_t? in
      guard state.busy, state.serial == serial else {
        if serial > state.serial { state.pendingInterrupt = serial }  // not started yet
        return nil
      }
      state.interrupted = true
      if state.interruptDeadline == nil { state.interruptDeadline = Date().addingTimeInterval(interruptGrace) }
      return state.pid
    }
    if let pid { kill(pid, SIGINT) }
    // A compile in progress is stopped too: the cell will not run.
    if let tool = control.withLock({ $0.busy && $0.interrupted ? $0.tool : nil }) { kill(tool, SIGKILL) }
    if let group = control.withLock({ $0.busy ? $0.shellGroup : nil }) { kill(-group, SIGINT) }
    // After the signal: a cell stopped at a breakpoint meets it as it goes on.
    if pid != nil { debugger?.cellInterrupted() }
    wake()
  }

  /// The executor's pid, for the debugger to attach to.
  var executorPID: pid_t? { control.withLock { $0.pid } }

  /// lldb-dap died while attached, leaving its breakpoint instructions in the executor's code: the executor
  /// is ended, and the running cell or the next one restarts it and says why.
  func debuggerLost() {
    let pid = control.withLock { state in
      state.debuggerLost = true
      return state.pid
    }
    if let pid { kill(pid, SIGKILL) }
    wake()
  }

  static let debuggerLostNote =
    "The debugger (lldb-dap) ended unexpectedly and left its breakpoints in the executor's code, so the executor was restarted."


  package func shutdown() {
    let pid = control.withLock { state in
      state.shutDown = true
      return state.pid
    }
    if let pid { kill(pid, SIGKILL) }
    completions.shutdown()
    compiler.service?.kill()
    wake()
  }

  package func isComplete(_ code: String) -> CodeCompleteness {
    CellAnalysis.isComplete(Magics.swiftOnly(code))
  }

  // MARK: The executor process

  func startExecutor() {
    generation += 1
    do {
      executor = try ExecutorProcess(launch, generation: generation)
    } catch {
      Log.error("cannot start the executor: \(error)")
      executor = nil
    }
    let pid = executor?.pid
    control.withLock { $0.pid = pid }
    if let pid { debugger?.executorStarted(pid: pid) }
  }

  /// A fresh executor with the earlier cells' libraries loaded again, so their functions, types and
  /// extensions keep working; their values are gone. Returns the names of those values.
  @discardableResult
  func restartExecutor() -> [String] {
    executor?.terminate()
    executor = nil
    startExecutor()
    for library in installedLibraries + compiler.libraries { executor?.send(.load(library: library)) }
    return compiler.loseValues()
  }

  /// `serial` is the cell's; nil keeps the current one (a cell's user expressions, an inspection).
  private func beginWork(serial: Int? = nil) {
    control.withLock { state in
      state.busy = true
      state.interrupted = false
      state.interruptDeadline = nil
      if let serial {
        state.serial = serial
        // Interrupted before it started: it does not run (nor compile).
        if state.pendingInterrupt == serial {
          state.interrupted = true
          state.interruptDeadline = Date().addingTimeInterval(interruptGrace)
        }
        state.pendingInterrupt = nil
      }
    }
  }

  private func endWork() {
    control.withLock { state in
      state.busy = false
      state.interruptDeadline = nil
    }
  }

  func wake() {
    var byte: UInt8 = 1
    _ = write(wakePipe.write, &byte, 1)
  }

  func drainWakePipe() {
    var buffer = [UInt8](repeating: 0, count: 64)
    while read(wakePipe.read, &buffer, buffer.count) > 0 {}
  }

  static func describe(status: Int32) -> String {
    let signal = status & 0x7f
    if signal != 0 { return "signal \(signal): \(String(cString: strsignal(signal)))" }
    return "exit status \((status >> 8) & 0xff)"
  }
}
