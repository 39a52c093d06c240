import ExecutorWire
import JupyterProtocol
import Testing

@testable import Kernel

/// Every request on shell and control: iopub busy, then its reply, then idle, and nothing after idle.
@Suite struct BracketTests {
  @Test func startingIsPublishedOnceBeforeAnything() {
    let h = KernelHarness()
    let id = h.transport.deliver("kernel_info_request")
    _ = h.transport.awaitIdle(id)
    let all = h.transport.all
    #expect(all.first?.label == "status:starting")
    #expect(all.filter { $0.label == "status:starting" }.count == 1)
    #expect(h.transport.started)
    h.stop()
  }

  struct RequestCase: Sendable, CustomTestStringConvertible {
    var type: String
    var content: JSON
    var reply: String
    var testDescription: String { type }
  }

  @Test(
    arguments: [
      RequestCase(type: "kernel_info_request", content: [:], reply: "kernel_info_reply"),
      RequestCase(type: "comm_info_request", content: [:], reply: "comm_info_reply"),
      RequestCase(type: "history_request", content: ["hist_access_type": "tail", "n": 3], reply: "history_reply"),
      RequestCase(type: "is_complete_request", content: ["code": "func f() {"], reply: "is_complete_reply"),
      RequestCase(type: "complete_request", content: ["code": "alp", "cursor_pos": 3], reply: "complete_reply"),
      RequestCase(
        type: "inspect_request", content: ["code": "alpha", "cursor_pos": 2, "detail_level": 0], reply: "inspect_reply"),
      RequestCase(type: "execute_request", content: ["code": "value 1", "silent": false], reply: "execute_reply"),
      RequestCase(type: "interrupt_request", content: [:], reply: "interrupt_reply"),
    ])
  func eachRequestGetsBusyOneReplyAndIdleLast(_ request: RequestCase) {
    let (type, content, reply) = (request.type, request.content, request.reply)
    for channel in [Channel.shell, .control] {
      let h = KernelHarness()
      let id = h.transport.deliver(type, content, on: channel)
      let records = h.transport.awaitIdle(id)
      let labels = records.labels
      #expect(labels.first == "status:busy", "\(type) on \(channel): \(labels)")
      #expect(labels.last == "status:idle", "\(type) on \(channel): \(labels)")
      #expect(labels.filter { $0.hasSuffix("_reply") } == ["\(channel.rawValue):\(reply)"], "\(labels)")
      #expect(labels.filter { $0.hasPrefix("status:") } == ["status:busy", "status:idle"])
      h.stop()
      // Nothing more for this request after its idle, even once the kernel has stopped.
      #expect(h.transport.records(for: id).labels == labels)
    }
  }

  @Test func outputsOfACellComeBeforeItsReplyAndIdle() {
    let h = KernelHarness()
    let (_, records) = h.run("display plot")
    #expect(
      records.labels == [
        "status:busy", "execute_input", "display_data", "update_display_data", "shell:execute_reply", "status:idle",
      ])
    #expect(records.first("display_data")?.content["transient"]?["display_id"] == "d1")
    h.stop()
  }

  @Test func commOpenIsClosedAtOnceAndCommMessagesAreIgnored() {
    let h = KernelHarness()
    let open = h.transport.deliver("comm_open", ["comm_id": "c-1", "target_name": "jupyter.widget", "data": [:]])
    let records = h.transport.awaitIdle(open)
    #expect(records.labels == ["status:busy", "comm_close", "status:idle"])
    #expect(records.first("comm_close")?.content["comm_id"] == "c-1")
    let message = h.transport.deliver("comm_msg", ["comm_id": "c-1", "data": [:]])
    #expect(h.transport.awaitIdle(message).labels == ["status:busy", "status:idle"])
    h.stop()
  }

  @Test func commInfoListsNoComms() {
    let h = KernelHarness()
    let id = h.transport.deliver("comm_info_request", ["target_name": "jupyter.widget"])
    let reply = h.transport.reply(to: id)
    #expect(reply?.content == ["status": "ok", "comms": [:]])
    h.stop()
  }

  @Test func unknownRequestIsBracketedLoggedAndNotAnswered() {
    let h = KernelHarness()
    let id = h.transport.deliver("frobnicate_request", [:])
    #expect(h.transport.awaitIdle(id).labels == ["status:busy", "status:idle"])
    #expect(h.logged.contains { $0.contains("frobnicate_request") })
    h.stop()
  }

  @Test func kernelInfoDescribesSwift() {
    let h = KernelHarness()
    let reply = h.transport.reply(to: h.transport.deliver("kernel_info_request"))?.content
    #expect(reply?["protocol_version"] == "5.4")
    #expect(reply?["language_info"]?["name"] == "swift")
    #expect(reply?["language_info"]?["file_extension"] == ".swift")
    h.stop()
  }

  @Test func repliesCarryTheRequestHeaderAsParent() {
    let h = KernelHarness()
    let id = h.transport.deliver("kernel_info_request")
    let records = h.transport.awaitIdle(id)
    for record in records {
      #expect(record.message.parentHeader["msg_type"] == "kernel_info_request")
      #expect(record.message.header["msg_id"] != nil && record.message.id != id)
    }
    h.stop()
  }
}
