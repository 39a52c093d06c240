import Foundation
import JupyterProtocol

/// The inputs (and text outputs) of this session, for `history_request`.
struct History {
  /// The session number rows carry; requests may also say 0 for "this session".
  static let session = 1
  private(set) var entries: [(line: Int, input: String, output: String?)] = []

  mutating func append(line: Int, input: String) { entries.append((line, input, nil)) }

  mutating func setOutput(line: Int, output: String) {
    if let i = entries.lastIndex(where: { $0.line == line }) { entries[i].output = output }
  }

  func reply(to request: JSON) -> JSON {
    let withOutput = request["output"]?.bool ?? false
    let selected: [(line: Int, input: String, output: String?)]
    switch request["hist_access_type"]?.string ?? "tail" {
    case "range":
      let requested = request["session"]?.int ?? 0
      let start = request["start"]?.int ?? 0
      let stop = request["stop"]?.int
      selected =
        requested == 0 || requested == Self.session
        ? entries.filter { $0.line >= start && (stop == nil || $0.line < stop!) } : []
    case "search":
      let pattern = request["pattern"]?.string ?? "*"
      var matches = entries.filter { Self.glob(pattern, matches: $0.input) }
      if request["unique"]?.bool ?? false {
        var seen = Set<String>()
        matches = matches.reversed().filter { seen.insert($0.input).inserted }.reversed()
      }
      if let n = request["n"]?.int, n > 0 { matches = Array(matches.suffix(n)) }
      selected = matches
    default:
      let n = request["n"]?.int ?? 10
      selected = Array(entries.suffix(max(n, 0)))
    }
    let rows: [JSON] = selected.map { entry in
      let input: JSON =
        withOutput ? [.string(entry.input), entry.output.map(JSON.string) ?? .null] : .string(entry.input)
      return [.int(Self.session), .int(entry.line), input]
    }
    return ["status": "ok", "history": .array(rows)]
  }

  /// Shell-style glob: `*` any run, `?` one character; the whole input must match.
  static func glob(_ pattern: String, matches text: String) -> Bool {
    let p = Array(pattern)
    let t = Array(text)
    var pi = 0
    var ti = 0
    var star = -1
    var mark = 0
    while ti < t.count {
      if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
        pi += 1
        ti += 1
      } else if pi < p.count, p[pi] == "*" {
        star = pi
        mark = ti
        pi += 1
      } else if star >= 0 {
        pi = star + 1
        mark += 1
        ti = mark
      } else {
        return false
      }
    }
    while pi < p.count, p[pi] == "*" { pi += 1 }
    return pi == p.count
  }
}
