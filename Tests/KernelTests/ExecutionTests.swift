import ExecutorWire
import JupyterProtocol
import Testing

@testable import Kernel

/// Execute requests: counts, silence, results, errors, `stop_on_error`, user expressions.
@Suite struct ExecutionTests {
  @Test func countGrowsOnlyWithStoreHistoryAndSilentPublishesNothing() {
    let h = KernelHarness()
    #expect(h.run("value 1").reply["execution_count"] == 1)
    #expect(h.run("value 2", ["store_history": false]).reply["execution_count"] == 1)
    let silent = h.run("print hidden", ["silent": true])
    #expect(silent.reply["execution_count"] == 1)
    #expect(silent.records.labels == ["status:busy", "shell:execute_reply", "status:idle"])
    let next = h.run("value 3")
    #expect(next.reply["execution_count"] == 2)
    #expect(next.records.first("execute_input")?.content["execution_count"] == 2)
    #expect(next.records.first("execute_result")?.content["execution_count"] == 2)
    // The executor still ran the silent cell, under the label of the last count.
    #expect(h.executor.executed.map(\.label) == [1, 1, 1, 2])
    h.stop()
  }

  @Test func exitAloneAsksTheClientToExitAndRunsNothing() {
    let h = KernelHarness()
    let (reply, records) = h.run("exit")
    #expect(reply["status"] == "ok")
    #expect(reply["payload"] == [["source": "ask_exit", "keepkernel": false]])
    #expect(records.labels == ["status:busy", "execute_input", "shell:execute_reply", "status:idle"])
    #expect(h.run("  quit\n").reply["payload"] == [["source": "ask_exit", "keepkernel": false]])
    // Anything more is code: it runs, and asks nothing.
    #expect(h.run("value exit").reply["payload"] == [])
    #expect(h.executor.executed.map(\.code) == ["value exit"])
    h.stop()
  }

  @Test func resultIsPublishedAndRemembered() {
    let h = KernelHarness()
    let (reply, records) = h.run("value 42")
    #expect(reply["status"] == "ok")
    #expect(reply["payload"] == [])
    #expect(reply["user_expressions"] == [:])
    #expect(records.first("execute_result")?.content["data"] == ["text/plain": "42"])
    #expect(h.kernel.history.rows(.tail(n: 1)).last?.output == "42")
    h.stop()
  }

  @Test func anEmptyCellIsAnsweredWithoutTheExecutor() {
    let h = KernelHarness()
    let (reply, records) = h.run("  \n ")
    #expect(reply["status"] == "ok" && reply["execution_count"] == 1)
    #expect(records.labels == ["status:busy", "execute_input", "shell:execute_reply", "status:idle"])
    #expect(h.executor.executed.isEmpty)
    h.stop()
  }

  @Test func anErrorIsOneErrorOutputAndAnErrorReply() {
    let h = KernelHarness()
    let (reply, records) = h.run("fail")
    #expect(records.labels == ["status:busy", "execute_input", "error", "shell:execute_reply", "status:idle"])
    #expect(reply["status"] == "error")
    #expect(reply["ename"] == "Boom" && reply["evalue"] == "it failed")
    #expect(reply["traceback"] == ["Boom: it failed", "  at <Cell 1>:1"])
    #expect(records.first("error")?.content["ename"] == "Boom")
    h.stop()
  }

  @Test func aSilentFailureIsAnsweredButNotPublished() {
    let h = KernelHarness()
    let (reply, records) = h.run("fail", ["silent": true])
    #expect(reply["status"] == "error")
    #expect(records.labels == ["status:busy", "shell:execute_reply", "status:idle"])
    h.stop()
  }

  @Test func stopOnErrorAbortsTheCellsQueuedBehindAFailure() {
    let h = KernelHarness()
    let spinning = h.execute("spin", ["stop_on_error": false])
    #expect(h.cellStarted())
    let failing = h.execute("fail")
    let queued = [h.execute("value 1"), h.execute("value 2")]
    let info = h.transport.deliver("kernel_info_request")
    h.kernel.interrupt()
    for id in [spinning, failing] + queued { _ = h.transport.awaitIdle(id) }
    for id in queued {
      // As ipykernel answers them: "not run", which clients (nbclient, JupyterLab) know.
      #expect(h.transport.reply(to: id)?.content == ["status": "aborted"])
      #expect(h.transport.records(for: id).labels == ["status:busy", "shell:execute_reply", "status:idle"])
    }
    // Shell replies come in the order of the requests: the failed cell's before the aborted ones'.
    let replyOrder = h.transport.all.compactMap { record -> String? in
      if case .reply(.shell, let message) = record, message.type == "execute_reply" { return record.parentID }
      return nil
    }
    #expect(replyOrder == [spinning, failing] + queued)
    // Requests of other types read on the way are still served, after the aborts.
    #expect(h.transport.reply(to: info)?.type == "kernel_info_reply")
    #expect(h.executor.executed.map(\.code) == ["spin", "fail"])
    h.stop()
  }

  @Test func withoutStopOnErrorQueuedCellsRun() {
    let h = KernelHarness()
    let spinning = h.execute("spin", ["stop_on_error": false])
    #expect(h.cellStarted())
    let failing = h.execute("fail", ["stop_on_error": false])
    let next = h.execute("value 7")
    h.kernel.interrupt()
    _ = h.transport.awaitIdle(spinning)
    _ = h.transport.awaitIdle(failing)
    #expect(h.transport.reply(to: next)?.content["status"] == "ok")
    #expect(h.transport.awaitIdle(next).first("execute_result")?.content["data"] == ["text/plain": "7"])
    h.stop()
  }

  @Test func aCellSentRightAfterAFailingReplyRuns() {
    let h = KernelHarness()
    for round in 0..<20 {
      let failing = h.execute("fail")
      #expect(h.transport.reply(to: failing)?.content["status"] == "error")
      let next = h.execute("value \(round)")
      let reply = h.transport.reply(to: next)?.content
      #expect(reply?["status"] == "ok", "round \(round): \(String(describing: reply))")
    }
    h.stop()
  }

  @Test func userExpressionsAreEvaluatedAfterASuccessfulCell() {
    let h = KernelHarness()
    let (reply, _) = h.run("value 1", ["user_expressions": ["x": "x", "bad": "fail"]])
    #expect(reply["user_expressions"]?["x"] == ["status": "ok", "data": ["text/plain": "<x>"], "metadata": [:]])
    #expect(reply["user_expressions"]?["bad"]?["status"] == "error")
    #expect(reply["user_expressions"]?["bad"]?["ename"] == "Boom")
    #expect(h.executor.evaluated == [["x": "x", "bad": "fail"]])
    h.stop()
  }

  @Test func userExpressionsAreSkippedWhenTheCellFails() {
    let h = KernelHarness()
    let (reply, _) = h.run("fail", ["user_expressions": ["x": "x"]])
    #expect(reply["status"] == "error")
    #expect(reply["user_expressions"] == nil)
    #expect(h.executor.evaluated.isEmpty)
    h.stop()
  }

  @Test func theExecutorDyingMidCellIsOneErrorAndTheNextCellRuns() {
    let h = KernelHarness()
    let (reply, records) = h.run("die")
    #expect(
      records.labels == ["status:busy", "execute_input", "stream", "error", "shell:execute_reply", "status:idle"])
    #expect(reply["ename"] == "FatalError")
    let next = h.run("value 2")
    #expect(next.reply["status"] == "ok" && next.reply["execution_count"] == 2)
    h.stop()
  }

  @Test func anExecuteOnControlWhileACellRunsIsRefusedAndTheCellGoesOn() {
    let h = KernelHarness()
    let spinning = h.execute("spin")
    #expect(h.cellStarted())
    let intruder = h.execute("value 1", on: .control)
    let reply = h.transport.reply(to: intruder)?.content
    #expect(reply?["ename"] == "KernelBusy")
    #expect(h.transport.records(for: spinning).labels == ["status:busy", "execute_input"])
    h.kernel.interrupt()
    #expect(h.transport.reply(to: spinning)?.content["ename"] == "Interrupted")
    #expect(h.executor.executed.map(\.code) == ["spin"])
    h.stop()
  }

  @Test func shellRequestsWaitWhileACellRunsAndControlIsServed() {
    let h = KernelHarness()
    let spinning = h.execute("spin")
    #expect(h.cellStarted())
    let completion = h.transport.deliver("complete_request", ["code": "alp", "cursor_pos": 3])
    let info = h.transport.deliver("kernel_info_request", on: .control)
    #expect(h.transport.reply(to: info)?.type == "kernel_info_reply")
    #expect(h.transport.records(for: completion).isEmpty)
    h.kernel.interrupt()
    let reply = h.transport.reply(to: completion)?.content
    #expect(reply?["matches"] == ["alpha", "alphabet"])
    #expect(reply?["cursor_start"] == 0 && reply?["cursor_end"] == 3)
    let order = h.transport.all.filter { $0.label.hasPrefix("shell:") }.map(\.parentID)
    #expect(order == [spinning, completion])
    h.stop()
  }
}
