import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol
import Kernel
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// JupyterLab's debugger for the executor: answers what the kernel knows itself (`debugInfo`,
/// `dumpCell`, `source`, `inspectVariables`, …) and forwards the rest to an `lldb-dap` child attached
/// to the executor by pid. It attaches again when the executor restarts; when `lldb-dap` dies while
/// attached it has the host restart the executor (its breakpoint instructions stay in the code).
package final class Debugger: Debugging, @unchecked Sendable {
  /// How to start lldb-dap, or why there is no debugger.
  let launch: Result<DebugAdapterLaunch, DebuggerUnavailable>
  let files: CellFiles
  /// Folders of the cells' and the runtime's `.swiftmodule`s: expressions can then use the cells' types.
  let moduleSearchPaths: [String]
  /// The host: the executor's pid, the session's variables, and the restart after a loss.
  package weak var host: ExecutorHost?
  /// Serialises conversations with lldb-dap (a request and its response, or a whole attach): the
  /// dispatcher's requests and the execution thread's re-attach.
  let conversation = NSLock()
  let state = Mutex(State())
  let initialized = NSCondition()
  var publish: (@Sendable (JSON) -> Void)?

  struct State {
    var adapter: DebugAdapter?
    /// Whether the client attached (and has not disconnected).
    var attached = false
    /// The client's `initialize` arguments, to start a new lldb-dap the same way.
    var initializeArguments: JSON = [:]
    /// Breakpoints by source path, as the client last set them.
    var breakpoints: [String: JSON] = [:]
    var stoppedThreads: Set<Int> = []
    /// While attaching, events are the debugger's own business (the attach stop, `initialized`).
    var quiet = false
    /// Set when an interrupt made the stopped cell go on: its breakpoints are off until it ends.
    var interrupting = false
    var initializedSeen = false
    /// The debuggee ended (the executor restarted): lldb-dap going away then is no loss.
    var debuggeeEnded = false
    /// The `Globals` scope of the frame last asked for, and that frame: earlier cells' variables join it.
    var globals: (reference: Int, frame: Int)?
  }

  package init(
    launch: Result<DebugAdapterLaunch, DebuggerUnavailable>, files: CellFiles, moduleSearchPaths: [String]
  ) {
    self.launch = launch
    self.files = files
    self.moduleSearchPaths = moduleSearchPaths
    if case .failure(let why) = launch, !why.quiet { Log.info("the debugger is off: \(why.reason)") }
  }

  package var isAvailable: Bool {
    if case .success = launch { true } else { false }
  }

  package func start(publishing publish: @escaping @Sendable (JSON) -> Void) {
    self.publish = publish
  }

  package func shutdown() {
    let adapter = state.withLock { state in
      defer { state.adapter = nil }
      return state.adapter
    }
    adapter?.terminate()
  }

  // MARK: Requests

  package func respond(to request: JSON) -> JSON {
    guard case .success(let launch) = launch else {
      guard case .failure(let why) = launch else { return DebugResponse.failure(to: request, "") }
      return DebugResponse.failure(to: request, "The debugger is off: \(why.reason)")
    }
    let arguments = request["arguments"] ?? [:]
    switch request["command"]?.string ?? "" {
    case "debugInfo": return DebugResponse.success(to: request, body: debugInfo)
    case "dumpCell":
      do {
        let path = try files.write(arguments["code"]?.string ?? "")
        return DebugResponse.success(to: request, body: ["sourcePath": .string(path)])
      } catch {
        return DebugResponse.failure(to: request, "cannot write the cell's file: \(error)")
      }
    case "source":
      let path = arguments["source"]?["path"]?.string ?? ""
      guard let content = try? String(contentsOfFile: path, encoding: .utf8) else {
        return DebugResponse.failure(to: request, "no source at '\(path)'")
      }
      return DebugResponse.success(to: request, body: ["content": .string(content)])
    case "configurationDone":
      return DebugResponse.success(to: request)  // sent to lldb-dap by `attach` already
    case "inspectVariables":
      let names = host?.sessionVariables.withLock { $0 } ?? []
      let variables = names.map { name -> JSON in
        ["name": .string(name), "value": "", "type": "", "evaluateName": .string(name), "variablesReference": 0]
      }
      return DebugResponse.success(to: request, body: ["variables": .array(variables)])
    case "richInspectVariables": return richInspect(request)
    case "modules": return DebugResponse.success(to: request, body: ["modules": [], "totalModules": 0])
    case "initialize": return initialize(request, launch: launch)
    case "attach": return attach(request)
    case "disconnect": return disconnect(request)
    case "setBreakpoints":
      let path = arguments["source"]?["path"]?.string ?? ""
      state.withLock { $0.breakpoints[path] = arguments["breakpoints"] ?? [] }
      return forward(request)
    default:
      return forward(request)
    }
  }

  private var debugInfo: JSON {
    state.withLock { state in
      [
        "isStarted": .bool(state.attached),
        "hashMethod": "Murmur2",
        "hashSeed": .int(Int(CellFiles.seed)),
        "tmpFilePrefix": .string(files.prefix),
        "tmpFileSuffix": .string(CellFiles.suffix),
        "breakpoints": .array(
          state.breakpoints.sorted { $0.key < $1.key }.map { ["source": .string($0.key), "breakpoints": $0.value] }),
        "stoppedThreads": .array(state.stoppedThreads.sorted().map(JSON.int)),
        "richRendering": true,
        "exceptionPaths": [],
        "copyToGlobals": false,
      ]
    }
  }

  /// Starts lldb-dap (once per session) and passes the client's `initialize` on.
  private func initialize(_ request: JSON, launch: DebugAdapterLaunch) -> JSON {
    conversation.lock()
    defer { conversation.unlock() }
    var arguments = request["arguments"] ?? [:]
    arguments["adapterID"] = "swift"
    state.withLock { $0.initializeArguments = arguments }
    if state.withLock({ $0.adapter }) == nil {
      do {
        try startAdapter(launch)
      } catch {
        return DebugResponse.failure(to: request, "cannot start lldb-dap: \(error)")
      }
    }
    return relay(request, arguments: arguments)
  }

  func startAdapter(_ launch: DebugAdapterLaunch) throws {
    state.withLock {
      $0.initializedSeen = false
      $0.debuggeeEnded = false
    }
    var adapter: DebugAdapter?
    adapter = try DebugAdapter(
      launch,
      onEvent: { [weak self] event in self?.received(event) },
      onExit: { [weak self] in self?.adapterExited() })
    state.withLock { $0.adapter = adapter }
  }

  /// Attaches lldb-dap to the executor: the signals the kernel uses pass through without stopping it,
  /// the cells' modules are visible to expressions, the breakpoints are set, then `configurationDone`
  /// (JupyterLab never sends it; lldb-dap keeps the process stopped until it comes).
  private func attach(_ request: JSON) -> JSON {
    conversation.lock()
    defer { conversation.unlock() }
    guard let adapter = state.withLock({ $0.adapter }) else {
      return DebugResponse.failure(to: request, "send initialize first")
    }
    guard let pid = host?.executorPID else { return DebugResponse.failure(to: request, "the executor is not running") }
    let response = attach(adapter, to: pid)
    guard response?["success"]?.bool == true else {
      return DebugResponse.failure(
        to: request, "lldb-dap could not attach to the executor: \(response?["message"]?.string ?? "no answer")")
    }
    state.withLock { $0.attached = true }
    return DebugResponse.success(to: request, body: response?["body"] ?? [:])
  }

  /// The attach conversation; the caller holds `conversation`.
  func attach(_ adapter: DebugAdapter, to pid: pid_t) -> JSON? {
    state.withLock { $0.quiet = true }
    defer { state.withLock { $0.quiet = false } }
    let searchPaths = moduleSearchPaths.map { "\"\($0)\"" }.joined(separator: " ")
    let seq = adapter.send(
      "attach",
      arguments: [
        "pid": .int(Int(pid)),
        "initCommands": [
          "process handle SIGINT SIGUSR1 SIGUSR2 SIGPIPE -s false -n false -p true",
          .string("settings set target.swift-module-search-paths \(searchPaths)"),
        ],
      ])
    // lldb-dap sends `initialized` once it is ready for breakpoints; the attach answers after configurationDone.
    let deadline = Date().addingTimeInterval(60)
    initialized.lock()
    while !state.withLock({ $0.initializedSeen }) && !adapter.isClosed {
      if !initialized.wait(until: deadline) { break }
    }
    initialized.unlock()
    for (path, breakpoints) in state.withLock({ $0.breakpoints }) {
      _ = adapter.request("setBreakpoints", arguments: ["source": ["path": .string(path)], "breakpoints": breakpoints])
    }
    _ = adapter.request("configurationDone")
    let response = adapter.response(to: seq, timeout: 60)
    state.withLock { $0.stoppedThreads = [] }
    return response
  }

  private func disconnect(_ request: JSON) -> JSON {
    conversation.lock()
    defer { conversation.unlock() }
    let adapter = state.withLock { state in
      defer {
        state = State()
      }
      return state.adapter
    }
    if let adapter {
      // Removes the breakpoints and lets the executor run on (it is no debuggee of ours to end).
      _ = adapter.request("disconnect", arguments: ["terminateDebuggee": false, "restart": false], timeout: 10)
      adapter.terminate()
    }
    return DebugResponse.success(to: request)
  }

  /// Sends a request on, with what the kernel changes in its answer: the executor's own frames cut from a
  /// stack, the registers from the scopes, stopped threads noted.
  private func forward(_ request: JSON) -> JSON {
    conversation.lock()
    defer { conversation.unlock() }
    guard state.withLock({ $0.adapter }) != nil else {
      return DebugResponse.failure(to: request, "the debugger is not started")
    }
    var response = relay(request, arguments: request["arguments"] ?? [:])
    guard response["success"]?.bool == true else { return response }
    switch request["command"]?.string ?? "" {
    case "stackTrace":
      let frames = response["body"]?["stackFrames"]?.array ?? []
      if let last = frames.lastIndex(where: { isCellFrame($0) }) {
        response["body"]?["stackFrames"] = .array(Array(frames[...last]))
        response["body"]?["totalFrames"] = .int(last + 1)
      }
    case "scopes":
      let scopes = (response["body"]?["scopes"]?.array ?? []).filter { $0["name"]?.string != "Registers" }
      response["body"]?["scopes"] = .array(scopes)
      if let frame = request["arguments"]?["frameId"]?.int,
        let reference = scopes.first(where: { $0["name"]?.string == "Globals" })?["variablesReference"]?.int
      {
        state.withLock { $0.globals = (reference, frame) }
      }
    case "variables":
      if let globals = state.withLock({ $0.globals }),
        request["arguments"]?["variablesReference"]?.int == globals.reference
      {
        let shown = response["body"]?["variables"]?.array ?? []
        response["body"]?["variables"] = .array(shown + sessionGlobals(besides: shown, frame: globals.frame))
      }
      // JupyterLab's tree shows a variable's type instead of its value unless the type is one of Python's
      // scalars or absent: a value with nothing to expand (an Int, a String) is shown without its type.
      let variables = (response["body"]?["variables"]?.array ?? []).map { variable -> JSON in
        guard variable["variablesReference"]?.int == 0, case .object(var fields) = variable else { return variable }
        fields["type"] = nil
        return .object(fields)
      }
      response["body"]?["variables"] = .array(variables)
    case "continue", "next", "stepIn", "stepOut":
      state.withLock { $0.stoppedThreads = [] }
    default: break
    }
    return response
  }

  /// The earlier cells' variables, as lldb evaluates them in `frame`: lldb-dap's `Globals` holds only those of
  /// the frame's own cell. The caller holds `conversation`.
  private func sessionGlobals(besides shown: [JSON], frame: Int) -> [JSON] {
    guard let adapter = state.withLock({ $0.adapter }) else { return [] }
    let known = Set(shown.compactMap { $0["name"]?.string })
    let names = (host?.sessionVariables.withLock { $0 } ?? []).filter { !known.contains($0) }
    return names.prefix(Self.sessionGlobalsShown).compactMap { name -> JSON? in
      guard
        let answer = adapter.request(
          "evaluate", arguments: ["expression": .string(name), "frameId": .int(frame), "context": "variables"]),
        answer["success"]?.bool == true, let body = answer["body"]
      else { return nil }
      var variable: JSON = [
        "name": .string(name), "value": body["result"] ?? "", "evaluateName": .string(name),
        "variablesReference": body["variablesReference"] ?? 0,
      ]
      if let type = body["type"] { variable["type"] = type }
      return variable
    }
  }

  /// At most this many earlier cells' variables are evaluated for the `Globals` scope (each costs lldb 10–20 ms).
  static let sessionGlobalsShown = 100

  private func isCellFrame(_ frame: JSON) -> Bool {
    frame["source"]?["path"]?.string?.hasPrefix(files.prefix) ?? false
  }

  /// A request to lldb-dap and its answer with the client's `seq`; the caller holds `conversation`.
  private func relay(_ request: JSON, arguments: JSON) -> JSON {
    let command = request["command"]?.string ?? ""
    guard let adapter = state.withLock({ $0.adapter }),
      var response = adapter.request(command, arguments: arguments, timeout: command == "evaluate" ? 60 : 30)
    else {
      return DebugResponse.failure(to: request, "lldb-dap did not answer '\(command)'")
    }
    response["request_seq"] = .int(request["seq"]?.int ?? 0)
    return response
  }

  /// `richInspectVariables`: the variable's value as lldb prints it, while stopped.
  private func richInspect(_ request: JSON) -> JSON {
    let arguments = request["arguments"] ?? [:]
    let name = arguments["variableName"]?.string ?? ""
    guard !state.withLock({ $0.stoppedThreads.isEmpty }), !name.isEmpty else {
      return DebugResponse.success(to: request, body: ["data": [:], "metadata": [:]])
    }
    var evaluate: JSON = ["expression": .string(name), "context": "watch"]
    if let frame = arguments["frameId"]?.int { evaluate["frameId"] = .int(frame) }
    let answer = forward(["seq": request["seq"] ?? 0, "command": "evaluate", "arguments": evaluate])
    let text = answer["body"]?["result"]?.string ?? answer["message"]?.string ?? ""
    return DebugResponse.success(to: request, body: ["data": ["text/plain": .string(text)], "metadata": [:]])
  }
}

/// Why the kernel has no debugger, said once in its log and in every `debug_reply`.
package struct DebuggerUnavailable: Error, Sendable {
  package var reason: String
  /// Not worth a log line: nothing could ask for a debugger (`swift-kernel run`).
  package var quiet: Bool
  package init(_ reason: String, quiet: Bool = false) {
    self.reason = reason
    self.quiet = quiet
  }
}
