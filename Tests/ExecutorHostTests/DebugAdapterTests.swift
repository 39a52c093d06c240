import CellCompiler
import Foundation
import JupyterProtocol
import Testing

@testable import ExecutorHost

@Suite struct DebugAdapterTests {
  @Test func messagesAreTakenWholeByTheirContentLength() {
    let first = #"{"type":"event","event":"initialized"}"#
    let second = #"{"type":"response","request_seq":2,"success":true}"#
    var buffer = Array("Content-Length: \(first.utf8.count)\r\n\r\n\(first)Content-Length: \(second.utf8.count)\r\n\r\n".utf8)
    #expect(DebugAdapter.takeMessage(from: &buffer).map { String(decoding: $0, as: UTF8.self) } == first)
    // The second body has not arrived yet: nothing is taken, and the header stays for later.
    #expect(DebugAdapter.takeMessage(from: &buffer) == nil)
    buffer += Array(second.prefix(10).utf8)
    #expect(DebugAdapter.takeMessage(from: &buffer) == nil)
    buffer += Array(second.dropFirst(10).utf8)
    #expect(DebugAdapter.takeMessage(from: &buffer).map { String(decoding: $0, as: UTF8.self) } == second)
    #expect(buffer.isEmpty)
  }

  @Test func aMissingProgramIsNoWorkingDebugger() {
    let launch = DebugAdapterLaunch(program: "/nonexistent/lldb-dap", libraryPath: nil)
    #expect(launch.check()?.contains("/nonexistent/lldb-dap") == true)
  }

  @Test func anUnavailableDebuggerAnswersEveryRequestWithItsReason() {
    let debugger = Debugger(
      launch: .failure(DebuggerUnavailable("no lldb-dap here")),
      files: CellFiles(folder: URL(fileURLWithPath: "/nonexistent/cells")), moduleSearchPaths: [])
    #expect(!debugger.isAvailable)
    let response = debugger.respond(to: ["type": "request", "seq": 4, "command": "debugInfo"])
    #expect(response["success"] == false)
    #expect(response["request_seq"] == 4)
    #expect(response["message"]?.string?.contains("no lldb-dap here") == true)
  }
}
