import Foundation
import JupyterProtocol
import SQLiteHistory
import Testing

@testable import Kernel

/// A kernel running on its own thread against a recording transport and a scripted executor.
final class KernelHarness: @unchecked Sendable {
  let transport = RecordingTransport()
  let executor = ScriptedExecutor()
  let kernel: Kernel
  private let stopped = DispatchSemaphore(value: 0)

  init(debugger: (any Debugging)? = nil) {
    let box = LogBox()
    // An in-memory SQLite database cannot fail to open short of running out of memory.
    kernel = Kernel(
      transport: transport, executing: executor, history: try! SQLiteHistory.inMemory(), debugger: debugger,
      log: { box.append($0) })
    logBox = box
    let kernel = self.kernel
    let stopped = self.stopped
    Thread.detachNewThread {
      kernel.run()
      stopped.signal()
    }
  }

  private let logBox: LogBox
  var logged: [String] { logBox.lines }

  /// Sends an execute request with the usual fields, as jupyter_client does.
  @discardableResult
  func execute(_ code: String, _ extra: [String: JSON] = [:], on channel: Channel = .shell) -> String {
    var content: [String: JSON] = [
      "code": .string(code), "silent": false, "store_history": true, "user_expressions": [:], "allow_stdin": true,
      "stop_on_error": true,
    ]
    content.merge(extra) { _, new in new }
    return transport.deliver("execute_request", .object(content), on: channel)
  }

  /// Runs a cell to its idle and returns its reply content and everything sent for it.
  func run(_ code: String, _ extra: [String: JSON] = [:]) -> (reply: JSON, records: [RecordingTransport.Record]) {
    let id = execute(code, extra)
    let records = transport.awaitIdle(id)
    let reply = records.first { if case .reply = $0 { true } else { false } }?.message.content ?? [:]
    return (reply, records)
  }

  /// True once a `spin` or `input` cell has started, within 5 seconds.
  func cellStarted() -> Bool { executor.cellStarted.wait(timeout: .now() + 5) == .success }

  /// True once `run()` returned, within `timeout` seconds.
  func hasStopped(within timeout: Double = 5) -> Bool { stopped.wait(timeout: .now() + timeout) == .success }

  /// Shuts the kernel down through control, as clients do at the end.
  func stop() {
    transport.deliver("shutdown_request", ["restart": false], on: .control)
    #expect(hasStopped(), "the kernel did not stop after shutdown_request")
  }
}

final class LogBox: @unchecked Sendable {
  private let lock = NSLock()
  private var _lines: [String] = []
  func append(_ line: String) {
    lock.lock()
    _lines.append(line)
    lock.unlock()
  }
  var lines: [String] {
    lock.lock()
    defer { lock.unlock() }
    return _lines
  }
}

extension Array where Element == RecordingTransport.Record {
  var labels: [String] { map(\.label) }
  func first(_ label: String) -> Message? { first { $0.label == label }?.message }
  func all(_ label: String) -> [Message] { filter { $0.label == label }.map(\.message) }
}
