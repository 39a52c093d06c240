import Foundation
import JupyterProtocol
import ZeroMQTransport

/// Executes a notebook's code cells through a kernel and records the outputs as nbclient does.
///
/// It is a Jupyter client in Swift: the same kernel as JupyterLab's, over ipc sockets, so a headless
/// run produces the outputs an interactive one would.
package final class NotebookRunner {
  package struct Options {
    package var allowErrors = false
    /// Seconds a cell may run before it is interrupted; nil for no limit.
    package var timeout: Double?
    package var progress: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    package init() {}
  }

  /// How a run ended.
  package struct Report {
    package var executed = 0
    package var skipped = 0
    /// The first cell whose error stopped the run (1-based), with its error.
    package var failure: (cell: Int, ename: String, evalue: String)?
  }

  let codec: WireCodec
  let context = ZMQContext()
  let shell: ZMQSocket
  let control: ZMQSocket
  let iopub: ZMQSocket
  let session = UUID().uuidString.lowercased()
  package private(set) var languageInfo: JSON = ["name": "swift"]

  package init(connection: ConnectionInfo) throws {
    codec = WireCodec(signer: Signer(key: connection.key))
    shell = try ZMQSocket(context, .dealer)
    control = try ZMQSocket(context, .dealer)
    iopub = try ZMQSocket(context, .sub)
    iopub.subscribe()
    try shell.connect(connection.endpoint(port: connection.shellPort))
    try control.connect(connection.endpoint(port: connection.controlPort))
    try iopub.connect(connection.endpoint(port: connection.iopubPort))
  }

  /// Waits until the kernel answers kernel_info and its iopub messages reach us (ZeroMQ's slow joiner).
  package func waitForKernel(timeout: Double = 60) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      let id = try send("kernel_info_request", content: [:], on: shell)
      var sawIopub = false
      let tryUntil = Date().addingTimeInterval(1)
      while Date() < tryUntil {
        let ready = ZMQPoller.poll([.socket(shell), .socket(iopub)], timeout: 100)
        if ready[1], let message = receive(iopub), message.parentHeader["msg_id"]?.string == id { sawIopub = true }
        if ready[0], let reply = receive(shell), reply.parentHeader["msg_id"]?.string == id {
          languageInfo = reply.content["language_info"] ?? languageInfo
          if sawIopub { return }
        }
      }
    }
    throw NotebookError.unreadable("the kernel", "it did not answer within \(Int(timeout)) s")
  }

  /// Runs every code cell in order; stops at the first error unless errors are allowed (or the cell is
  /// tagged `raises-exception`); cells tagged `skip-execution` are left as they are.
  package func run(_ notebook: inout Notebook, options: Options) throws -> Report {
    var report = Report()
    var cells = notebook.cells
    let codeCells = cells.indices.filter { cells[$0]["cell_type"]?.string == "code" }
    for (k, index) in codeCells.enumerated() {
      let code = Notebook.source(of: cells[index])
      let tags = Notebook.tags(of: cells[index])
      let firstLine = code.split(separator: "\n").first.map(String.init) ?? ""
      if tags.contains("skip-execution") {
        options.progress("[\(k + 1)/\(codeCells.count)] skipped (skip-execution): \(firstLine)")
        report.skipped += 1
        continue
      }
      let started = Date()
      options.progress("[\(k + 1)/\(codeCells.count)] \(firstLine)")
      let (reply, outputs) = try execute(code, timeout: options.timeout)
      report.executed += 1
      cells[index]["outputs"] = .array(outputs)
      cells[index]["execution_count"] = reply["execution_count"] ?? nil
      options.progress(
        String(format: "[%d/%d] done in %.1f s", k + 1, codeCells.count, Date().timeIntervalSince(started)))
      if reply["status"]?.string == "error" && !options.allowErrors && !tags.contains("raises-exception") {
        report.failure = (index + 1, reply["ename"]?.string ?? "Error", reply["evalue"]?.string ?? "")
        break
      }
    }
    notebook.cells = cells
    var metadata = notebook.json["metadata"] ?? [:]
    metadata["language_info"] = languageInfo
    if metadata["kernelspec"] == nil {
      metadata["kernelspec"] = ["name": "swift", "display_name": "Swift (Classification)", "language": "swift"]
    }
    notebook.json["metadata"] = metadata
    return report
  }

  /// Asks the kernel to shut down and waits for its reply.
  package func shutdown() {
    guard let id = try? send("shutdown_request", content: ["restart": false], on: control) else { return }
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
      if ZMQPoller.poll([.socket(control)], timeout: 200)[0], let reply = receive(control),
        reply.parentHeader["msg_id"]?.string == id
      {
        return
      }
    }
  }

  /// One cell: its reply content and its outputs in nbformat, recorded as nbclient records them.
  func execute(_ code: String, timeout: Double?) throws -> (JSON, [JSON]) {
    let id = try send(
      "execute_request",
      content: [
        "code": .string(code), "silent": false, "store_history": true, "user_expressions": [:], "allow_stdin": false,
        "stop_on_error": true,
      ],
      on: shell)
    var outputs = OutputRecorder()
    var reply: JSON?
    var idle = false
    let started = Date()
    var interruptedAt: Date?
    while reply == nil || !idle {
      let ready = ZMQPoller.poll([.socket(shell), .socket(iopub)], timeout: 100)
      if ready[1] {
        while let message = receive(iopub, wait: false) {
          guard message.parentHeader["msg_id"]?.string == id else { continue }
          if message.type == "status", message.content["execution_state"]?.string == "idle" {
            idle = true
          } else {
            outputs.record(message)
          }
        }
      }
      if ready[0], let message = receive(shell), message.parentHeader["msg_id"]?.string == id {
        reply = message.content
      }
      if let timeout, reply == nil, interruptedAt == nil, Date().timeIntervalSince(started) > timeout {
        interruptedAt = Date()
        _ = try? send("interrupt_request", content: [:], on: control)
        outputs.timedOut(after: timeout)
      }
    }
    var content = reply ?? [:]
    if interruptedAt != nil {
      content["status"] = "error"
      content["ename"] = "CellTimeoutError"
      content["evalue"] = .string("the cell ran longer than \(timeout ?? 0) s and was interrupted")
    }
    return (content, outputs.outputs)
  }

  @discardableResult
  func send(_ type: String, content: JSON, on socket: ZMQSocket) throws -> String {
    let header = Message.header(type: type, session: session, username: "swift-kernel-run")
    try socket.send(codec.encode(Message(header: header, content: content)))
    return header["msg_id"]?.string ?? ""
  }

  func receive(_ socket: ZMQSocket, wait: Bool = false) -> Message? {
    guard let frames = try? socket.receive(wait: wait) else { return nil }
    return try? codec.decode(frames).message
  }
}

/// Turns iopub messages into nbformat outputs with nbclient's rules: consecutive stream text merged,
/// display updates applied to every output with that display id, `clear_output(wait:)` honoured.
struct OutputRecorder {
  private(set) var outputs: [JSON] = []
  private var displayIndices: [String: [Int]] = [:]
  private var clearOnNextOutput = false

  mutating func record(_ message: Message) {
    let c = message.content
    switch message.type {
    case "clear_output":
      if c["wait"]?.bool == true { clearOnNextOutput = true } else { clear() }
      return
    case "update_display_data":
      guard let id = c["transient"]?["display_id"]?.string else { return }
      for i in displayIndices[id] ?? [] {
        outputs[i]["data"] = c["data"] ?? [:]
        outputs[i]["metadata"] = c["metadata"] ?? [:]
      }
      return
    default: break
    }
    if clearOnNextOutput { clear() }
    switch message.type {
    case "stream":
      let name = c["name"]?.string ?? "stdout"
      let text = c["text"]?.string ?? ""
      if let last = outputs.indices.last, outputs[last]["output_type"]?.string == "stream",
        outputs[last]["name"]?.string == name
      {
        outputs[last]["text"] = .string((outputs[last]["text"]?.string ?? "") + text)
      } else {
        outputs.append(["output_type": "stream", "name": .string(name), "text": .string(text)])
      }
    case "display_data":
      if let id = c["transient"]?["display_id"]?.string { displayIndices[id, default: []].append(outputs.count) }
      outputs.append(["output_type": "display_data", "data": c["data"] ?? [:], "metadata": c["metadata"] ?? [:]])
    case "execute_result":
      outputs.append([
        "output_type": "execute_result", "execution_count": c["execution_count"] ?? nil, "data": c["data"] ?? [:],
        "metadata": c["metadata"] ?? [:],
      ])
    case "error":
      outputs.append([
        "output_type": "error", "ename": c["ename"] ?? "", "evalue": c["evalue"] ?? "",
        "traceback": c["traceback"] ?? [],
      ])
    default: break
    }
  }

  mutating func timedOut(after seconds: Double) {
    outputs.append([
      "output_type": "stream", "name": "stderr",
      "text": .string("swift-kernel run: the cell ran longer than \(seconds) s; interrupting it\n"),
    ])
  }

  private mutating func clear() {
    outputs = []
    displayIndices = [:]
    clearOnNextOutput = false
  }
}
