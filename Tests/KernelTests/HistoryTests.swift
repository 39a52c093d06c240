import Testing

@testable import JupyterProtocol
@testable import Kernel

/// History through `history_request`, as the kernel records executions.
@Suite struct HistoryRequestTests {
  @Test func historyHoldsStoredInputsWithTheirOutputs() {
    let h = KernelHarness()
    _ = h.run("value 1")
    _ = h.run("print hidden", ["store_history": false])
    _ = h.run("value 2")
    let id = h.transport.deliver("history_request", ["hist_access_type": "tail", "n": 10, "output": true, "raw": true])
    let rows = h.transport.reply(to: id)?.content["history"]
    #expect(rows == [[1, 1, ["value 1", "1"]], [1, 2, ["value 2", "2"]]])
    let search = h.transport.deliver("history_request", ["hist_access_type": "search", "pattern": "value 2*"])
    #expect(h.transport.reply(to: search)?.content["history"] == [[1, 2, "value 2"]])
    h.stop()
  }
}
