import JupyterProtocol
import Testing

@testable import Kernel
@testable import SQLiteHistory

/// `history_request`'s three kinds of query, answered from a history in memory.
@Suite struct HistoryQueryTests {
  var history: SQLiteHistory {
    get throws {
      let h = try SQLiteHistory.inMemory()
      for (line, input) in [(1, "let x = 1"), (2, "x + 1"), (3, "print(x)"), (4, "x + 1"), (5, "x * 3")] {
        h.append(line: line, input: input)
      }
      h.setOutput(line: 2, output: "2")
      return h
    }
  }

  func rows(_ request: JSON) throws -> [JSON] { try history.reply(to: request)["history"]?.array ?? [] }

  @Test func tailReturnsTheLastNWithOptionalOutput() throws {
    #expect(try rows(["hist_access_type": "tail", "n": 2]) == [[1, 4, "x + 1"], [1, 5, "x * 3"]])
    #expect(try rows(["hist_access_type": "tail", "n": 4, "output": true])[0] == [1, 2, ["x + 1", "2"]])
    #expect(try rows(["hist_access_type": "tail", "n": 4, "output": true])[1] == [1, 3, ["print(x)", nil]])
  }

  @Test func rangeIsHalfOpenAndKnowsTheSession() throws {
    #expect(try rows(["hist_access_type": "range", "session": 1, "start": 2, "stop": 4]).count == 2)
    #expect(try rows(["hist_access_type": "range", "session": 0, "start": 5]) == [[1, 5, "x * 3"]])
    #expect(try rows(["hist_access_type": "range", "session": 7, "start": 1, "stop": 9]).isEmpty)
  }

  @Test func searchUsesGlobsWithUniqueAndN() throws {
    #expect(try rows(["hist_access_type": "search", "pattern": "x + 1"]).count == 2)
    #expect(try rows(["hist_access_type": "search", "pattern": "x + 1", "unique": true]) == [[1, 4, "x + 1"]])
    #expect(try rows(["hist_access_type": "search", "pattern": "x*", "n": 2]) == [[1, 4, "x + 1"], [1, 5, "x * 3"]])
    #expect(try rows(["hist_access_type": "search", "pattern": "print(?)"]) == [[1, 3, "print(x)"]])
  }

  @Test func wildcardsMatchLiteralStarsInTheInput() throws {
    #expect(try rows(["hist_access_type": "search", "pattern": "x *"]).count == 3)
    #expect(try rows(["hist_access_type": "search", "pattern": "x [*]*"]) == [[1, 5, "x * 3"]])
  }
}
