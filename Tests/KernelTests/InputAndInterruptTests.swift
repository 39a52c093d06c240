import ExecutorWire
import JupyterProtocol
import Testing

@testable import Kernel

/// stdin round trips, and interrupts before, during and after a cell.
@Suite struct InputAndInterruptTests {
  @Test func inputRequestGoesOutOnStdinAndTheReplyReachesTheCell() {
    let h = KernelHarness()
    let id = h.execute("input password: ")
    #expect(h.transport.wait { records in records.contains { $0.label == "stdin:input_request" } })
    let request = h.transport.records(for: id).first("stdin:input_request")
    #expect(request?.content == ["prompt": "password: ", "password": true])
    h.transport.deliver("input_reply", ["value": "swordfish"], on: .stdin)
    let records = h.transport.awaitIdle(id)
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "swordfish"])
    h.stop()
  }

  @Test func withoutAllowStdinInputIsNilAndNoRequestIsSent() {
    let h = KernelHarness()
    let (reply, records) = h.run("input name?", ["allow_stdin": false])
    #expect(reply["status"] == "ok")
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "nil"])
    #expect(!h.transport.all.contains { $0.label == "stdin:input_request" })
    h.stop()
  }

  @Test func aStrayInputReplyIsIgnored() {
    let h = KernelHarness()
    h.transport.deliver("input_reply", ["value": "nobody asked"], on: .stdin)
    let (reply, records) = h.run("value 5")
    #expect(reply["status"] == "ok")
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "5"])
    h.stop()
  }

  @Test func anInterruptWhileWaitingForInputEndsTheWait() {
    let h = KernelHarness()
    let id = h.execute("input name?")
    #expect(h.transport.wait { $0.contains { $0.label == "stdin:input_request" } })
    let interrupt = h.transport.deliver("interrupt_request", on: .control)
    #expect(h.transport.reply(to: interrupt)?.content == ["status": "ok"])
    let records = h.transport.awaitIdle(id)
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "nil"])
    #expect(h.executor.interrupts == 1)
    h.stop()
  }

  @Test func anInterruptBeforeAnyCellIsAnsweredAndReachesNoCell() {
    let h = KernelHarness()
    let id = h.transport.deliver("interrupt_request", on: .control)
    #expect(h.transport.awaitIdle(id).labels == ["status:busy", "control:interrupt_reply", "status:idle"])
    #expect(h.executor.interrupts == 0)
    #expect(h.run("value 1").reply["status"] == "ok")
    h.stop()
  }

  @Test func anInterruptDuringACellStopsItAndIsAnsweredAtOnce() {
    let h = KernelHarness()
    let id = h.execute("spin")
    #expect(h.cellStarted())
    let interrupt = h.transport.deliver("interrupt_request", on: .control)
    let records = h.transport.awaitIdle(id)
    #expect(h.transport.reply(to: interrupt)?.content["status"] == "ok")
    #expect(records.labels == ["status:busy", "execute_input", "error", "shell:execute_reply", "status:idle"])
    #expect(records.first("shell:execute_reply")?.content["ename"] == "Interrupted")
    #expect(h.executor.interrupts == 1)
    h.stop()
  }

  @Test func anInterruptAfterACellLeavesTheNextOneAlone() {
    let h = KernelHarness()
    #expect(h.run("value 1").reply["status"] == "ok")
    _ = h.transport.awaitIdle(h.transport.deliver("interrupt_request", on: .control))
    #expect(h.executor.interrupts == 0)
    let (reply, records) = h.run("value 2")
    #expect(reply["status"] == "ok")
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "2"])
    h.stop()
  }

  @Test func sigintInterruptsLikeARequest() {
    let h = KernelHarness()
    let id = h.execute("spin")
    #expect(h.cellStarted())
    h.kernel.interrupt()
    #expect(h.transport.reply(to: id)?.content["ename"] == "Interrupted")
    h.stop()
  }
}
