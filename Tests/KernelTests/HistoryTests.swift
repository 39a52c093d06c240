import Testing

@testable import JupyterProtocol
@testable import Kernel

@Suite struct HistoryTests {
  var history: MemoryHistory {
    let h = MemoryHistory()
    for (line, input) in [(1, "let x = 1"), (2, "x + 1"), (3, "print(x)"), (4, "x + 1"), (5, "x * 3")] {
      h.append(line: line, input: input)
    }
    h.setOutput(line: 2, output: "2")
    return h
  }

  func rows(_ request: JSON) -> [JSON] { history.reply(to: request)["history"]?.array ?? [] }

  @Test func tailReturnsTheLastNWithOptionalOutput() {
    #expect(rows(["hist_access_type": "tail", "n": 2]) == [[1, 4, "x + 1"], [1, 5, "x * 3"]])
    #expect(rows(["hist_access_type": "tail", "n": 4, "output": true])[0] == [1, 2, ["x + 1", "2"]])
    #expect(rows(["hist_access_type": "tail", "n": 4, "output": true])[1] == [1, 3, ["print(x)", nil]])
  }

  @Test func rangeIsHalfOpenAndKnowsTheSession() {
    #expect(rows(["hist_access_type": "range", "session": 1, "start": 2, "stop": 4]).count == 2)
    #expect(rows(["hist_access_type": "range", "session": 0, "start": 5]) == [[1, 5, "x * 3"]])
    #expect(rows(["hist_access_type": "range", "session": 7, "start": 1, "stop": 9]).isEmpty)
  }

  @Test func searchUsesGlobsWithUniqueAndN() {
    #expect(rows(["hist_access_type": "search", "pattern": "x + 1"]).count == 2)
    #expect(rows(["hist_access_type": "search", "pattern": "x + 1", "unique": true]) == [[1, 4, "x + 1"]])
    #expect(rows(["hist_access_type": "search", "pattern": "x*", "n": 2]) == [[1, 4, "x + 1"], [1, 5, "x * 3"]])
    #expect(rows(["hist_access_type": "search", "pattern": "print(?)"]) == [[1, 3, "print(x)"]])
  }

  @Test func globMatchesTheWholeInput() {
    #expect(Glob("a*c").matches("abbbc"))
    #expect(!Glob("a*c").matches("abbbcd"))
    #expect(Glob("*").matches(""))
    #expect(Glob("?b*").matches("abz"))
    #expect(!Glob("?").matches(""))
    #expect(Glob("[a-c]x[^0-9]").matches("bxy") && !Glob("[a-c]x[^0-9]").matches("bx7"))
    #expect(Glob("[*]").matches("*") && Glob("a[").matches("a["), "an unclosed set is literal")
  }

  @Test func wildcardsMatchLiteralStarsAndQuestionMarksInTheInput() {
    #expect(Glob("6 *").matches("6 * 7"), "a * in the input is matched by the pattern's * like any text")
    #expect(Glob("6 * 7").matches("6 * 7"))
    #expect(Glob("*?").matches("what?"))
    #expect(Glob("x ? y").matches("x ? y") && Glob("x ? y").matches("x * y"))
    #expect(Glob("**a").matches("***a") && !Glob("**a").matches("***b"))
    #expect(rows(["hist_access_type": "search", "pattern": "x *"]).count == 3)
    #expect(rows(["hist_access_type": "search", "pattern": "x [*]*"]) == [[1, 5, "x * 3"]])
  }
}

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
