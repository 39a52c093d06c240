import ExecutorWire
import Foundation
import JupyterProtocol
import Synchronization

/// The Jupyter kernel's protocol side: the busy → reply → idle bracket around every request, the
/// execution count, history, `stop_on_error`, and stdin. It never compiles or runs code itself: cells
/// go to a `CellExecuting`, messages come and go through a `KernelTransport`.
///
/// One dispatcher thread (the one that calls `run`) owns all of this state. A cell runs on the
/// execution thread and reports back with one `ExecutionOutcome`; while it runs, the dispatcher still
/// serves control (interrupt, shutdown) and stdin, and leaves shell requests queued.
package final class Kernel: @unchecked Sendable {
  let transport: any KernelTransport
  let executing: any CellExecuting
  let session = UUID().uuidString.lowercased()
  let log: @Sendable (String) -> Void

  let history: any HistoryStore
  /// JupyterLab's debugger, when this kernel has one.
  let debugger: (any Debugging)?
  var executionCount = 0
  /// The execute request whose cell is running.
  private var running: RunningCell?
  /// Shell requests read while aborting after an error, served before any new one.
  private var deferredShell: [Envelope] = []
  /// The serial of the last cell started (`CellRequest.serial`).
  private var cellSerial = 0
  private var stopping = false

  /// What other threads tell the dispatcher; `post` wakes it.
  private let events = Mutex<[Event]>([])
  private let executionQueue = DispatchQueue(label: "swift-kernel.execution")

  enum Event {
    case finished(ExecutionOutcome, [String: ExpressionOutcome])
    case inputRequested(prompt: String, password: Bool, InputSlot)
    case interrupt
    /// Stop as after a shutdown request, with no request to answer (the client is gone).
    case stop
  }

  /// The execute request being served, as its reply will need it.
  private struct RunningCell {
    var request: Envelope
    var channel: Channel
    var count: Int
    var silent: Bool
    var storeHistory: Bool
    var stopOnError: Bool
    var serial: Int
    /// `exit` or `quit` alone: nothing runs, and the reply asks the client to exit (IPython's `ask_exit`
    /// payload, which `jupyter console` acts on).
    var asksExit = false
    /// Set while the cell waits for an `input_reply`.
    var input: InputSlot?
  }

  /// The words that ask a console to exit, as in IPython (`exit` is no Swift expression by itself).
  static func asksExit(_ code: String) -> Bool {
    ["exit", "quit", "exit()", "quit()"].contains(code.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  package init(
    transport: any KernelTransport, executing: any CellExecuting, history: any HistoryStore,
    debugger: (any Debugging)? = nil, log: @escaping @Sendable (String) -> Void = { Log.info($0) }
  ) {
    self.transport = transport
    self.executing = executing
    self.history = history
    self.debugger = debugger
    self.log = log
  }

  /// Serves requests until a shutdown request, then stops the executing side.
  package func run() {
    transport.start()
    publish("status", content: ["execution_state": "starting"], parent: [:])
    // Events have no request of their own: JupyterLab reads every debug_event of the kernel.
    debugger?.start { [weak self] event in self?.publish("debug_event", content: event, parent: [:]) }
    while !stopping {
      for event in events.withLock({ queue in
        let taken = queue
        queue = []
        return taken
      }) {
        handle(event)
      }
      if stopping { break }
      if running == nil, !deferredShell.isEmpty {
        serve(deferredShell.removeFirst(), on: .shell)
        continue
      }
      let channels: Set<Channel> = running == nil ? [.control, .stdin, .shell] : [.control, .stdin]
      guard let (channel, envelope) = transport.receive(on: channels, timeout: nil) else { continue }
      if channel == .stdin {
        receiveInput(envelope)
      } else {
        serve(envelope, on: channel)
      }
    }
    running?.input?.fulfil(nil)
    debugger?.shutdown()
    executing.shutdown()
  }

  /// Hands an event to the dispatcher from any thread.
  func post(_ event: Event) {
    events.withLock { $0.append(event) }
    transport.wake()
  }

  /// Interrupts the running cell, as `interrupt_request` does; safe from any thread.
  package func interrupt() { post(.interrupt) }

  private func handle(_ event: Event) {
    switch event {
    case .finished(let outcome, let values): finishExecution(outcome, userExpressions: values)
    case .inputRequested(let prompt, let password, let slot): requestInput(prompt: prompt, password: password, slot)
    case .interrupt: interruptRunningCell()
    case .stop: stopping = true
    }
  }

  // MARK: The bracket

  /// A request's answer: the reply (none for comm messages), which its `idle` follows.
  struct Answer {
    var type: String?
    var content: JSON
  }

  /// Every request on shell and control passes here: busy, its answer, idle. An execute request that
  /// starts a cell is answered when the cell ends, by `finishExecution`, through the same `close`.
  private func serve(_ request: Envelope, on channel: Channel) {
    publishStatus("busy", parent: request.message.header)
    if let answer = answer(request, on: channel) { close(request, on: channel, with: answer) }
  }

  /// Sends a request's reply and its `idle`: the one place either is sent, so each happens once.
  private func close(_ request: Envelope, on channel: Channel, with answer: Answer) {
    if let type = answer.type { send(type, content: answer.content, to: request, on: channel) }
    publishStatus("idle", parent: request.message.header)
  }

  /// The answer to a request; nil when it started a cell, which answers later.
  private func answer(_ request: Envelope, on channel: Channel) -> Answer? {
    let content = request.message.content
    let code = content["code"]?.string ?? ""
    let cursor = content["cursor_pos"]?.int ?? code.unicodeScalars.count
    switch request.message.type {
    case "execute_request":
      return startExecution(request, on: channel)
    case "kernel_info_request":
      return Answer(type: "kernel_info_reply", content: KernelInfo.content(debugger: debugger?.isAvailable ?? false))
    case "debug_request":
      let response =
        debugger?.respond(to: content)
        ?? DebugResponse.failure(to: content, "this kernel has no debugger")
      return Answer(type: "debug_reply", content: response)
    case "comm_info_request":
      return Answer(type: "comm_info_reply", content: ["status": "ok", "comms": [:]])
    case "history_request":
      return Answer(type: "history_reply", content: history.reply(to: content))
    case "is_complete_request":
      return Answer(type: "is_complete_reply", content: executing.isComplete(code).json)
    case "complete_request":
      return Answer(type: "complete_reply", content: executing.complete(code, cursor: cursor).json)
    case "inspect_request":
      let found = executing.inspect(code, cursor: cursor, detailLevel: content["detail_level"]?.int ?? 0)
      return Answer(
        type: "inspect_reply",
        content: [
          "status": "ok", "found": .bool(found != nil), "data": .object((found?.data ?? [:]).mapValues(JSON.string)),
          "metadata": [:],
        ])
    case "interrupt_request":
      interruptRunningCell()
      return Answer(type: "interrupt_reply", content: ["status": "ok"])
    case "shutdown_request":
      stopping = true
      return Answer(
        type: "shutdown_reply", content: ["status": "ok", "restart": .bool(content["restart"]?.bool ?? false)])
    case "comm_open":
      // No comm targets here: the spec asks for an immediate comm_close so the frontend is not left waiting.
      if let id = content["comm_id"]?.string {
        publish("comm_close", content: ["comm_id": .string(id), "data": [:]], parent: request.message.header)
      }
      return Answer(type: nil, content: [:])
    case "comm_msg", "comm_close":
      return Answer(type: nil, content: [:])  // Messages for comms that do not exist are ignored, as the spec says.
    default:
      log("ignored unknown request type '\(request.message.type)' on \(channel.rawValue)")
      return Answer(type: nil, content: [:])
    }
  }

  // MARK: Execution

  /// Starts a cell on the execution thread; answers at once only when it cannot start.
  private func startExecution(_ request: Envelope, on channel: Channel) -> Answer? {
    let content = request.message.content
    guard running == nil else {
      let error = CellError(
        name: "KernelBusy", value: "a cell is already running",
        traceback: ["Not run: another cell is running; send execute requests on shell to queue them."])
      return Answer(type: "execute_reply", content: errorReply(error, count: executionCount))
    }
    let code = content["code"]?.string ?? ""
    let silent = content["silent"]?.bool ?? false
    let storeHistory = silent ? false : (content["store_history"]?.bool ?? true)
    let allowStdin = content["allow_stdin"]?.bool ?? true
    let expressions = (content["user_expressions"]?.object ?? [:]).compactMapValues(\.string)
    if storeHistory { executionCount += 1 }
    let count = executionCount
    let parent = request.message.header
    if !silent {
      publish("execute_input", content: ["code": .string(code), "execution_count": .int(count)], parent: parent)
    }
    if storeHistory { history.append(line: count, input: code) }
    let asksExit = Self.asksExit(code)
    cellSerial += 1
    running = RunningCell(
      request: request, channel: channel, count: count, silent: silent, storeHistory: storeHistory,
      stopOnError: content["stop_on_error"]?.bool ?? true, serial: cellSerial, asksExit: asksExit)

    let output = sink(parent: parent, silent: silent, allowStdin: allowStdin)
    let cell = CellRequest(code: code, label: count, allowStdin: allowStdin, serial: cellSerial)
    executionQueue.async { [executing] in
      let outcome =
        code.allSatisfy(\.isWhitespace) || asksExit ? .ok(result: nil) : executing.execute(cell, output: output)
      var values: [String: ExpressionOutcome] = [:]
      if case .ok = outcome, !expressions.isEmpty { values = executing.evaluate(expressions, output: output) }
      self.post(.finished(outcome, values))
    }
    return nil
  }

  /// Where a cell's output goes: published from the execution thread under its request, in order.
  private func sink(parent: JSON, silent: Bool, allowStdin: Bool) -> OutputSink {
    OutputSink(
      emit: { [weak self] output in
        guard let self, !silent else { return }
        let (type, content) = output.message
        self.publish(type, content: content, parent: parent)
      },
      readInput: { [weak self] prompt, password in
        guard let self, allowStdin else { return nil }
        let slot = InputSlot()
        self.post(.inputRequested(prompt: prompt, password: password, slot))
        return slot.wait()
      })
  }

  /// Turns a cell's outcome into its outputs, reply and idle. After an error with `stop_on_error`, the
  /// execute requests already queued are aborted: taken off the queue before this reply is sent (a
  /// request sent once the client has this reply must run), answered after it.
  private func finishExecution(_ outcome: ExecutionOutcome, userExpressions: [String: ExpressionOutcome]) {
    guard let cell = running else { return }
    running = nil
    let parent = cell.request.message.header
    let content: JSON
    var aborted: [Envelope] = []
    switch outcome {
    case .ok(let result):
      if let result {
        if cell.storeHistory, let text = result.data["text/plain"] { history.setOutput(line: cell.count, output: text) }
        if !cell.silent {
          publish(
            "execute_result",
            content: ["execution_count": .int(cell.count), "data": result.dataJSON, "metadata": result.metadataJSON],
            parent: parent)
        }
      }
      content = [
        "status": "ok", "execution_count": .int(cell.count),
        "payload": cell.asksExit ? [["source": "ask_exit", "keepkernel": false]] : [],
        "user_expressions": .object(userExpressions.mapValues(\.json)),
      ]
    case .failed(let error):
      if !cell.silent { publish("error", content: error.json, parent: parent) }
      // Taken before this reply goes out, answered after it: replies keep the order of the requests.
      aborted = cell.stopOnError ? queuedExecutions() : []
      content = errorReply(error, count: cell.count)
    }
    close(cell.request, on: cell.channel, with: Answer(type: "execute_reply", content: content))
    for request in aborted {
      log("aborted execute_request \(request.message.id): an earlier cell failed (stop_on_error)")
      publishStatus("busy", parent: request.message.header)
      close(request, on: .shell, with: Answer(type: "execute_reply", content: ["status": "aborted"]))
    }
  }

  /// The execute requests already queued on shell, which `stop_on_error` aborts: they are answered
  /// `status: "aborted"`, as ipykernel answers them (clients take it as "not run"). Requests of other types
  /// read on the way are kept to be served next.
  private func queuedExecutions() -> [Envelope] {
    var executions: [Envelope] = []
    while let (_, request) = transport.receive(on: [.shell], timeout: 0) {
      if request.message.type == "execute_request" {
        executions.append(request)
      } else {
        deferredShell.append(request)
      }
    }
    return executions
  }

  private func errorReply(_ error: CellError, count: Int) -> JSON {
    var content = error.json
    content["status"] = "error"
    content["execution_count"] = .int(count)
    return content
  }

  private func interruptRunningCell() {
    guard let cell = running else { return }
    // The execution thread may not have started the cell yet: the executing side keeps the interrupt
    // for it (it used to be lost, and the cell then ran to its end).
    executing.interrupt(serial: cell.serial)
    running?.input?.fulfil(nil)
    running?.input = nil
  }

  // MARK: stdin

  private func requestInput(prompt: String, password: Bool, _ slot: InputSlot) {
    guard let cell = running, !stopping else { return slot.fulfil(nil) }
    running?.input = slot
    send(
      "input_request", content: ["prompt": .string(prompt), "password": .bool(password)], to: cell.request, on: .stdin)
  }

  private func receiveInput(_ reply: Envelope) {
    guard reply.message.type == "input_reply", let slot = running?.input else { return }
    running?.input = nil
    slot.fulfil(reply.message.content["value"]?.string ?? "")
  }

  // MARK: Sending

  private func send(_ type: String, content: JSON, to request: Envelope, on channel: Channel) {
    let message = Message(
      header: Message.header(type: type, session: session), parentHeader: request.message.header, content: content)
    transport.send(message, to: request.identities, on: channel)
  }

  /// Publishes on iopub; safe from any thread.
  func publish(_ type: String, content: JSON, parent: JSON) {
    transport.publish(
      Message(header: Message.header(type: type, session: session), parentHeader: parent, content: content))
  }

  private func publishStatus(_ state: String, parent: JSON) {
    publish("status", content: ["execution_state": .string(state)], parent: parent)
  }
}

/// A line of input the execution thread waits for; the dispatcher fills it once.
final class InputSlot: @unchecked Sendable {
  private let filled = DispatchSemaphore(value: 0)
  private let value = Mutex<String??>(nil)

  func fulfil(_ line: String?) {
    let first = value.withLock { current in
      guard current == nil else { return false }
      current = .some(line)
      return true
    }
    if first { filled.signal() }
  }

  func wait() -> String? {
    filled.wait()
    return value.withLock { $0 ?? nil }
  }
}
