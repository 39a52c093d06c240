import Synchronization

/// The inputs (and text outputs) of this session only, in memory.
public final class MemoryHistory: HistoryStore {
  public let session: Int
  private let stored = Mutex<[HistoryRow]>([])

  public init(session: Int = 1) { self.session = session }

  public func append(line: Int, input: String) {
    stored.withLock { $0.append(HistoryRow(session: session, line: line, input: input)) }
  }

  public func setOutput(line: Int, output: String) {
    stored.withLock { rows in
      if let i = rows.lastIndex(where: { $0.line == line }) { rows[i].output = output }
    }
  }

  public func rows(_ query: HistoryQuery) -> [HistoryRow] {
    let rows = stored.withLock { $0 }
    switch query {
    case .tail(let n):
      return Array(rows.suffix(n))
    case .range(let requested, let start, let stop):
      guard requested == 0 || requested == session else { return [] }
      return rows.filter { $0.line >= start && (stop == nil || $0.line < stop!) }
    case .search(let pattern, let unique, let n):
      let glob = Glob(pattern)
      var matches = rows.filter { glob.matches($0.input) }
      if unique {
        var seen = Set<String>()
        matches = matches.reversed().filter { seen.insert($0.input).inserted }.reversed()
      }
      if let n { matches = Array(matches.suffix(n)) }
      return matches
    }
  }
}
