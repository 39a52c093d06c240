import CSQLite
import Foundation
import Kernel
import Testing

@testable import SQLiteHistory

@Suite final class SQLiteHistoryTests {
  /// A fresh folder per test (tests run in parallel), removed after it.
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString)").path
  var path: String { folder + "/history.sqlite" }

  deinit { try? FileManager.default.removeItem(atPath: folder) }

  func open(log: (String) -> Void = { _ in }) throws -> SQLiteHistory {
    try SQLiteHistory.open(at: path, log: log)
  }

  @Test func sessionsGrowAcrossStartsAndRowsSurviveThem() throws {
    var first: SQLiteHistory? = try open()
    let number = first!.session
    first!.append(line: 1, input: "let x = 6")
    first!.append(line: 2, input: "x * 7")
    first!.setOutput(line: 2, output: "42")
    first = nil
    let second = try open()
    #expect(second.session == number + 1)
    second.append(line: 1, input: "x * 7")
    #expect(
      second.rows(.tail(n: 10)) == [
        HistoryRow(session: number, line: 1, input: "let x = 6"),
        HistoryRow(session: number, line: 2, input: "x * 7", output: "42"),
        HistoryRow(session: number + 1, line: 1, input: "x * 7"),
      ])
    #expect(second.rows(.tail(n: 1)).map(\.line) == [1])
    // Range: 0 is this session, -1 the one before, a positive number that session.
    #expect(second.rows(.range(session: 0, start: 1, stop: nil)).map(\.input) == ["x * 7"])
    #expect(second.rows(.range(session: -1, start: 2, stop: 3)).map(\.output) == ["42"])
    #expect(second.rows(.range(session: number, start: 0, stop: nil)).count == 2)
    // Search across sessions, a literal * in the input matched by the pattern's wildcard.
    #expect(second.rows(.search(pattern: "x *", unique: false, n: nil)).map(\.session) == [number, number + 1])
    #expect(
      second.rows(.search(pattern: "x *", unique: true, n: nil))
        == [HistoryRow(session: number + 1, line: 1, input: "x * 7")])
    #expect(second.rows(.search(pattern: "*", unique: false, n: 2)).map(\.line) == [2, 1])
    #expect(second.rows(.search(pattern: "let ?", unique: false, n: nil)).isEmpty)
  }

  /// Found by `scripts/fuzz.sh` (FuzzHistory): a NUL in a cell's text cut the stored row there, since the
  /// text was bound and read back as a C string.
  @Test func aCellsTextIsStoredWholeEvenWithANul() throws {
    let history = try SQLiteHistory.inMemory()
    let input = "let s = \"a\u{0}b\" // é 🙂\nprint(s)"
    history.append(line: 1, input: input)
    history.setOutput(line: 1, output: "\"a\u{0}b\"")
    #expect(
      history.rows(.range(session: 0, start: 1, stop: 2))
        == [HistoryRow(session: history.session, line: 1, input: input, output: "\"a\u{0}b\"")])
    #expect(history.rows(.tail(n: 1)).map(\.input) == [input])
    #expect(history.rows(.search(pattern: "let s*", unique: true, n: nil)).map(\.input) == [input])
  }

  @Test func twoKernelsShareOneFile() throws {
    let a = try open()
    let b = try open()
    #expect(a.session != b.session)
    for line in 1...20 {
      a.append(line: line, input: "a\(line)")
      b.append(line: line, input: "b\(line)")
    }
    #expect(a.rows(.range(session: 0, start: 1, stop: nil)).count == 20)
    #expect(b.rows(.search(pattern: "a*", unique: false, n: nil)).count == 20)
  }

  @Test func aCorruptFileIsMovedAsideAndANewOneStarted() throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: path))
    var logged: [String] = []
    let history = try open { logged.append($0) }
    history.append(line: 1, input: "1 + 1")
    #expect(history.rows(.tail(n: 5)).map(\.input) == ["1 + 1"])
    #expect(logged.count == 1 && logged[0].contains("moved it to"))
    let files = try FileManager.default.contentsOfDirectory(atPath: folder)
    let aside = try #require(files.first { $0.hasPrefix("history-corrupt-") })
    #expect(FileManager.default.contents(atPath: folder + "/" + aside) == Data(repeating: 0x5a, count: 8192))
  }

  @Test func anUnwritableFolderMeansAHistoryInMemoryAndALogLine() throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // A regular file where the database's folder should be: nothing can be created under it.
    let blocked = folder + "/file"
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocked))
    var logged: [String] = []
    let history = try SQLiteHistory.open(at: blocked + "/history.sqlite", log: { logged.append($0) })
    #expect(logged.count == 1 && logged[0].contains("kept in memory"))
    history.append(line: 1, input: "6 * 7")
    #expect(history.rows(.tail(n: 5)).map(\.input) == ["6 * 7"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["file"])
  }

  @Test func theFileIsInWriteAheadLogMode() throws {
    _ = try open()
    var handle: OpaquePointer?
    #expect(sqlite3_open(path, &handle) == SQLITE_OK)
    defer { sqlite3_close(handle) }
    var statement: OpaquePointer?
    sqlite3_prepare_v2(handle, "PRAGMA journal_mode", -1, &statement, nil)
    defer { sqlite3_finalize(statement) }
    #expect(sqlite3_step(statement) == SQLITE_ROW)
    #expect(String(cString: sqlite3_column_text(statement, 0)) == "wal")
  }
}
