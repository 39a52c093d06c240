import CellCompiler
import ExecutorWire
import Foundation
import JupyterProtocol
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Set by the kernel's SIGINT handler; the main loop turns it into an interrupt.
let sigintReceived = Atomic<Bool>(false)

/// The Jupyter kernel: owns the sockets, the execution count and history, compiles cells, and
/// turns executor events into iopub messages. It never runs user code itself.
public final class Kernel {
  enum Channel: String { case shell, control, stdin }

  let connection: ConnectionInfo
  let codec: WireCodec
  let context = ZMQContext()
  let shell: ZMQSocket
  let control: ZMQSocket
  let stdinSocket: ZMQSocket
  let iopub: ZMQSocket
  let heartbeat: Heartbeat
  let session = UUID().uuidString.lowercased()
  let compiler: CellCompiler
  let launch: ExecutorLaunch
  var executor: ExecutorProcess?
  var executorGeneration = 0
  var executionCount = 0
  var history = History()
  var running: RunningCell?
  /// Shell requests read while aborting after an error, to be handled next.
  var deferredShell: [Envelope] = []
  /// Parent header for output that arrives when no cell is running.
  var lastParent: JSON = [:]
  var shouldExit = false
  lazy var names = NameIndex(runtimeModules: compiler.moduleSearchPaths, toolchain: compiler.toolchain, workDirectory: compiler.workDirectory)

  public init(connection: ConnectionInfo, compiler: CellCompiler, launch: ExecutorLaunch) throws {
    self.connection = connection
    self.compiler = compiler
    self.launch = launch
    codec = WireCodec(signer: Signer(key: connection.key))
    shell = try ZMQSocket(context, .router)
    control = try ZMQSocket(context, .router)
    stdinSocket = try ZMQSocket(context, .router)
    iopub = try ZMQSocket(context, .pub)
    try shell.bind(connection.endpoint(port: connection.shellPort))
    try control.bind(connection.endpoint(port: connection.controlPort))
    try stdinSocket.bind(connection.endpoint(port: connection.stdinPort))
    try iopub.bind(connection.endpoint(port: connection.iopubPort))
    heartbeat = try Heartbeat(context: context, endpoint: connection.endpoint(port: connection.hbPort))
  }

  /// Serves requests until a shutdown request; returns the process exit status.
  public func run() -> Int32 {
    heartbeat.start()
    signal(SIGINT) { _ in sigintReceived.store(true, ordering: .relaxed) }
    signal(SIGPIPE, SIG_IGN)
    startExecutor()
    publish("status", content: ["execution_state": "starting"], parent: [:])
    while !shouldExit {
      serveOnce()
    }
    executor?.terminate()
    executor = nil
    return 0
  }

  /// One turn of the loop: control first, then executor output, stdin replies, and shell when idle.
  func serveOnce() {
    var items: [ZMQPoller.Item] = [.socket(control), .socket(stdinSocket)]
    let acceptsShell = running == nil && deferredShell.isEmpty
    if acceptsShell { items.append(.socket(shell)) }
    let executorFDs = executor.map { [$0.eventFD, $0.stdoutFD, $0.stderrFD] } ?? []
    items += executorFDs.map { .fd($0) }
    let ready = ZMQPoller.poll(items, timeout: running == nil && deferredShell.isEmpty ? 500 : 50)

    if ready[0] { receive(on: .control, from: control) }
    if ready[1] { receive(on: .stdin, from: stdinSocket) }
    if sigintReceived.exchange(false, ordering: .relaxed) { interruptRunningCell() }
    if executor != nil { pumpExecutor() }
    checkInterruptDeadline()
    if running == nil, !deferredShell.isEmpty {
      handle(deferredShell.removeFirst(), on: .shell)
    } else if acceptsShell, ready[2] {
      receive(on: .shell, from: shell)
    }
  }

  func receive(on channel: Channel, from socket: ZMQSocket) {
    guard let frames = try? socket.receive(wait: false) else { return }
    let envelope: Envelope
    do {
      envelope = try codec.decode(frames)
    } catch {
      log("dropped a message on \(channel.rawValue): \(error)")
      return
    }
    handle(envelope, on: channel)
  }

  func handle(_ envelope: Envelope, on channel: Channel) {
    switch channel {
    case .stdin: handleInputReply(envelope)
    case .shell, .control: dispatch(envelope, on: channel)
    }
  }

  // MARK: Sending

  func send(_ type: String, content: JSON, to envelope: Envelope, on channel: Channel, metadata: JSON = [:]) {
    let message = Message(
      header: Message.header(type: type, session: session), parentHeader: envelope.message.header,
      metadata: metadata, content: content)
    let socket = channel == .control ? control : channel == .stdin ? stdinSocket : shell
    do { try socket.send(codec.encode(message, identities: envelope.identities)) }
    catch { log("cannot send \(type): \(error)") }
  }

  func publish(_ type: String, content: JSON, parent: JSON, metadata: JSON = [:]) {
    let message = Message(
      header: Message.header(type: type, session: session), parentHeader: parent, metadata: metadata, content: content)
    do { try iopub.send(codec.encode(message, identities: [Data("kernel.\(type)".utf8)])) }
    catch { log("cannot publish \(type): \(error)") }
  }

  func publishStatus(_ state: String, parent: JSON) {
    publish("status", content: ["execution_state": .string(state)], parent: parent)
  }

  func log(_ text: String) {
    FileHandle.standardError.write(Data("[swift-kernel] \(text)\n".utf8))
  }
}

/// A kernel is driven by one thread at a time: `swift-kernel run` hands it to a background thread,
/// which then owns it (and its sockets) until it shuts down.
extension Kernel: @unchecked Sendable {}
