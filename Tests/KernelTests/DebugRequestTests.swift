import Foundation
import JupyterProtocol
import Synchronization
import Testing

@testable import Kernel

/// A debugger that answers every request with its command and sends one event when started.
final class EchoDebugger: Debugging, @unchecked Sendable {
  let requests = Mutex<[JSON]>([])
  var isAvailable: Bool { true }

  func start(publishing publish: @escaping @Sendable (JSON) -> Void) {
    publish(["type": "event", "event": "output", "body": ["output": "hello"]])
  }

  func respond(to request: JSON) -> JSON {
    requests.withLock { $0.append(request) }
    return DebugResponse.success(to: request, body: ["echo": request["command"] ?? nil])
  }

  func shutdown() {}
}

@Suite struct DebugRequestTests {
  @Test func withoutADebuggerKernelInfoSaysSoAndDebugRequestsGetAnError() {
    let h = KernelHarness()
    let info = h.transport.reply(to: h.transport.deliver("kernel_info_request"))?.content
    #expect(info?["debugger"] == false)
    #expect(info?["supported_features"] == nil)
    let id = h.transport.deliver(
      "debug_request", ["type": "request", "seq": 3, "command": "debugInfo"], on: .control)
    let records = h.transport.awaitIdle(id)
    #expect(records.map(\.label) == ["status:busy", "control:debug_reply", "status:idle"])
    let reply = records[1].message.content
    #expect(reply["success"] == false)
    #expect(reply["request_seq"] == 3)
    #expect(reply["command"] == "debugInfo")
    #expect(reply["message"]?.string?.isEmpty == false)
    h.stop()
  }

  @Test func aDebuggerIsAnnouncedAndAnswersInTheBracketAndItsEventsGoToIOPub() {
    let debugger = EchoDebugger()
    let h = KernelHarness(debugger: debugger)
    let info = h.transport.reply(to: h.transport.deliver("kernel_info_request"))?.content
    #expect(info?["debugger"] == true)
    #expect(info?["supported_features"] == ["debugger"])
    let id = h.transport.deliver(
      "debug_request", ["type": "request", "seq": 7, "command": "stackTrace", "arguments": ["threadId": 1]],
      on: .control)
    let records = h.transport.awaitIdle(id)
    #expect(records.map(\.label) == ["status:busy", "control:debug_reply", "status:idle"])
    #expect(records[1].message.content["body"]?["echo"] == "stackTrace")
    #expect(records[1].message.content["request_seq"] == 7)
    #expect(debugger.requests.withLock { $0.first?["arguments"]?["threadId"] } == 1)
    let events = h.transport.all.filter { $0.label == "debug_event" }
    #expect(events.count == 1)
    #expect(events.first?.message.content["body"]?["output"] == "hello")
    h.stop()
  }
}
