import Foundation
import FuzzSupport
import JupyterProtocol
import SQLiteHistory

@testable import Kernel

// The history database's rows and the `history_request` that reads them. The input's first line is a
// request's content (JSON); the rest is a cell's text stored as a row, and its output after a 0 byte.
// What is stored reads back unchanged, and any request is answered without a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHistory(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = bytes(start, count)
  let lines = pieces(data)
  let request = (try? JSON(parsing: lines[0])) ?? [:]
  let rest = Data(lines.dropFirst().joined(separator: [UInt8(ascii: "\n")]))
  let fields = rest.split(separator: 0xFF, maxSplits: 1, omittingEmptySubsequences: false)
  let input = String(decoding: fields[0], as: UTF8.self)
  let output = fields.count > 1 ? String(decoding: fields[1], as: UTF8.self) : nil
  let history: SQLiteHistory
  do { history = try SQLiteHistory.inMemory() } catch { fatalError("property failed: no in-memory history: \(error)") }
  history.append(line: 1, input: "let x = 1")
  history.append(line: 2, input: input)
  if let output { history.setOutput(line: 2, output: output) }
  let stored = history.rows(.range(session: 0, start: 2, stop: 3))
  let expected = [HistoryRow(session: history.session, line: 2, input: input, output: output)]
  expect(stored == expected, "stored \(expected), read back \(stored)")
  let searched = history.rows(.search(pattern: "*", unique: true, n: nil)).map(\.input)
  expect(searched.contains(input), "a search for * does not find \(input.debugDescription)")
  _ = history.rows(HistoryQuery(request: request))
  let reply = history.reply(to: request)
  expect(reply["status"] == "ok" && reply["history"]?.array != nil, "a history_reply: \(reply)")
  return 0
}

@_cdecl("FuzzHistory_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzHistory)
}
