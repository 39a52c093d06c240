import JupyterProtocol

/// One stored execution: its session, its line (the execution count), its input, and the text of its
/// result when it had one.
package struct HistoryRow: Sendable, Equatable {
  package var session: Int
  package var line: Int
  package var input: String
  package var output: String?

  package init(session: Int, line: Int, input: String, output: String? = nil) {
    self.session = session
    self.line = line
    self.input = input
    self.output = output
  }
}

/// What a `history_request` asks for, as IPython's history manager reads it.
package enum HistoryQuery: Sendable, Equatable {
  /// The last `n` rows, across sessions, oldest first.
  case tail(n: Int)
  /// Lines `start..<stop` (no `stop`: to the end) of one session: 0 is the current one, a negative
  /// number counts back from it (-1 is the one before).
  case range(session: Int, start: Int, stop: Int?)
  /// Rows whose input matches a glob (`*`, `?`, `[…]`), across sessions; with `unique`, each input once
  /// (its latest row); the last `n` when given.
  case search(pattern: String, unique: Bool, n: Int?)

  init(request: JSON) {
    switch request["hist_access_type"]?.string ?? "tail" {
    case "range":
      self = .range(
        session: request["session"]?.int ?? 0, start: request["start"]?.int ?? 0, stop: request["stop"]?.int)
    case "search":
      let n = request["n"]?.int
      self = .search(
        pattern: request["pattern"]?.string ?? "*", unique: request["unique"]?.bool ?? false,
        n: n.flatMap { $0 > 0 ? $0 : nil })
    default:
      self = .tail(n: max(request["n"]?.int ?? 10, 0))
    }
  }
}

/// Where the kernel keeps what was executed: `SQLiteHistory` (a file shared by kernels, or this
/// session's memory when the file cannot be used, and in tests).
package protocol HistoryStore: AnyObject, Sendable {
  /// This kernel's session number.
  var session: Int { get }
  func append(line: Int, input: String)
  func setOutput(line: Int, output: String)
  func rows(_ query: HistoryQuery) -> [HistoryRow]
}

extension HistoryStore {
  /// The `history_reply` content: rows `[session, line, input]`, or `[session, line, [input, output]]`.
  func reply(to request: JSON) -> JSON {
    let withOutput = request["output"]?.bool ?? false
    let rows: [JSON] = rows(HistoryQuery(request: request)).map { row in
      let input: JSON = withOutput ? [.string(row.input), row.output.map(JSON.string) ?? .null] : .string(row.input)
      return [.int(row.session), .int(row.line), input]
    }
    return ["status": "ok", "history": .array(rows)]
  }
}
