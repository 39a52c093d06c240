import CSQLite
import ExecutorWire
import Foundation
import Kernel
import Synchronization

/// History in SQLite, as IPython keeps it in `history.sqlite`: every kernel start is a new session
/// with a number that keeps growing, and every stored execution a row of `history` (with its text
/// result in `output_history`). Write-ahead logging and a busy timeout let several kernels share it.
package final class SQLiteHistory: HistoryStore, @unchecked Sendable {
  package let session: Int
  /// The connection; SQLite is built thread-safe, but statements are prepared and stepped one at a time.
  private let database: Mutex<OpaquePointer>

  /// Where the kernels of this user keep their history: `$JUPYTER_DATA_DIR/swift-kernel/history.sqlite`,
  /// else under `~/.local/share/jupyter`.
  package static var defaultPath: String {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["SWIFT_KERNEL_HISTORY"] { return path }
    let data = environment["JUPYTER_DATA_DIR"] ?? NSHomeDirectory() + "/.local/share/jupyter"
    return data + "/swift-kernel/history.sqlite"
  }

  /// Opens (or creates) the database and starts a session. A file that is not a database, or a
  /// damaged one, is moved aside (`history-corrupt-DATE.sqlite`) and a new one started; when the
  /// history cannot be kept here at all (an unwritable folder), it is kept in SQLite's memory for this
  /// session, with the reason in `log`. Throws only when not even that can be opened.
  package static func open(at path: String = defaultPath, log: (String) -> Void) throws -> SQLiteHistory {
    do {
      return try SQLiteHistory(path: path)
    } catch let error as SQLiteError where error.isDamage && FileManager.default.fileExists(atPath: path) {
      let aside = path.replacingOccurrences(of: ".sqlite", with: "") + "-corrupt-\(Self.stamp()).sqlite"
      do {
        try FileManager.default.moveItem(atPath: path, toPath: aside)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        log("history: \(path) is damaged (\(error)); moved it to \(aside) and started a new one")
        return try SQLiteHistory(path: path)
      } catch {
        log("history: \(path) is damaged and cannot be replaced (\(error)); history is kept in memory only")
        return try inMemory()
      }
    } catch {
      log("history: cannot use \(path) (\(error)); history is kept in memory only")
      return try inMemory()
    }
  }

  /// This session's history only, in an SQLite database in memory: the same queries, nothing kept.
  package static func inMemory() throws -> SQLiteHistory { try SQLiteHistory(path: memoryPath) }

  private static let memoryPath = ":memory:"

  init(path: String) throws {
    if path != Self.memoryPath {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    }
    var handle: OpaquePointer?
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
    let opened = sqlite3_open_v2(path, &handle, flags, nil)
    guard opened == SQLITE_OK, let handle else {
      let error = SQLiteError(
        code: opened, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "open failed")
      sqlite3_close(handle)
      throw error
    }
    sqlite3_busy_timeout(handle, 5000)
    do {
      try Self.execute(handle, "PRAGMA journal_mode = WAL")
      // Each cell writes its row on the dispatcher thread before it runs: in WAL mode, NORMAL syncs at
      // checkpoints instead of on every commit (a crash may lose the last rows, never the file).
      try Self.execute(handle, "PRAGMA synchronous = NORMAL")
      try Self.execute(
        handle,
        """
        CREATE TABLE IF NOT EXISTS sessions (session INTEGER PRIMARY KEY AUTOINCREMENT, start TIMESTAMP,
          end TIMESTAMP, num_cmds INTEGER, remark TEXT);
        CREATE TABLE IF NOT EXISTS history (session INTEGER, line INTEGER, source TEXT, source_raw TEXT,
          PRIMARY KEY (session, line));
        CREATE TABLE IF NOT EXISTS output_history (session INTEGER, line INTEGER, output TEXT,
          PRIMARY KEY (session, line));
        """)
      try Self.execute(handle, "INSERT INTO sessions (start, remark) VALUES (datetime('now'), 'swift-kernel')")
      session = Int(sqlite3_last_insert_rowid(handle))
    } catch {
      sqlite3_close(handle)
      throw error
    }
    database = Mutex(handle)
  }

  deinit {
    database.withLock { handle in
      try? Self.run(handle, "UPDATE sessions SET end = datetime('now') WHERE session = ?", [.int(session)])
      sqlite3_close(handle)
    }
  }

  package func append(line: Int, input: String) {
    write(
      "INSERT OR REPLACE INTO history (session, line, source, source_raw) VALUES (?, ?, ?, ?)",
      [.int(session), .int(line), .text(input), .text(input)])
    write("UPDATE sessions SET num_cmds = ? WHERE session = ?", [.int(line), .int(session)])
  }

  package func setOutput(line: Int, output: String) {
    write(
      "INSERT OR REPLACE INTO output_history (session, line, output) VALUES (?, ?, ?)",
      [.int(session), .int(line), .text(output)])
  }

  package func rows(_ query: HistoryQuery) -> [HistoryRow] {
    let select = """
      SELECT history.session, history.line, history.source_raw, output_history.output FROM history
      LEFT JOIN output_history USING (session, line)
      """
    do {
      switch query {
      case .tail(let n):
        return try read("\(select) ORDER BY history.session DESC, history.line DESC LIMIT ?", [.int(n)]).reversed()
      case .range(let requested, let start, let stop):
        let number = requested > 0 ? requested : session + requested
        return try read(
          "\(select) WHERE history.session = ? AND history.line >= ? AND history.line < ? ORDER BY history.line",
          [.int(number), .int(start), .int(stop ?? Int(Int32.max))])
      case .search(let pattern, let unique, let n):
        let limit = n ?? -1
        if unique {
          // Each input once, at its latest row.
          return try read(
            """
            SELECT session, line, source_raw, output FROM (
              SELECT history.session, history.line, history.source_raw, output_history.output,
                ROW_NUMBER() OVER (PARTITION BY history.source_raw
                  ORDER BY history.session DESC, history.line DESC) AS newest
              FROM history LEFT JOIN output_history USING (session, line) WHERE history.source_raw GLOB ?)
            WHERE newest = 1 ORDER BY session DESC, line DESC LIMIT ?
            """, [.text(pattern), .int(limit)]
          ).reversed()
        }
        return try read(
          "\(select) WHERE history.source_raw GLOB ? ORDER BY history.session DESC, history.line DESC LIMIT ?",
          [.text(pattern), .int(limit)]
        ).reversed()
      }
    } catch {
      Log.error("history: \(error)")
      return []
    }
  }

  // MARK: SQLite

  enum Value {
    case int(Int)
    case text(String)
  }

  private func write(_ sql: String, _ values: [Value]) {
    do {
      try database.withLock { try Self.run($0, sql, values) }
    } catch {
      Log.error("history: \(error)")
    }
  }

  private func read(_ sql: String, _ values: [Value]) throws -> [HistoryRow] {
    try database.withLock { handle in
      var rows: [HistoryRow] = []
      try Self.run(handle, sql, values) { statement in
        let output = sqlite3_column_type(statement, 3) == SQLITE_NULL ? nil : Self.text(statement, 3)
        rows.append(
          HistoryRow(
            session: Int(sqlite3_column_int64(statement, 0)), line: Int(sqlite3_column_int64(statement, 1)),
            input: Self.text(statement, 2), output: output))
      }
      return rows
    }
  }

  /// A column's text by its length: a cell's text may hold a NUL, which a C string would end at.
  private static func text(_ statement: OpaquePointer, _ column: Int32) -> String {
    guard let text = sqlite3_column_text(statement, column) else { return "" }
    let count = Int(sqlite3_column_bytes(statement, column))
    return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
  }

  /// Runs one statement with its values bound, calling `row` for each row it yields.
  private static func run(
    _ handle: OpaquePointer, _ sql: String, _ values: [Value], row: (OpaquePointer) -> Void = { _ in }
  ) throws {
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
      throw SQLiteError(handle)
    }
    defer { sqlite3_finalize(statement) }
    let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    for (i, value) in values.enumerated() {
      switch value {
      case .int(let n): sqlite3_bind_int64(statement, Int32(i + 1), Int64(n))
      // By its length in bytes, not up to a NUL: what a cell holds is stored whole.
      case .text(let s): sqlite3_bind_text(statement, Int32(i + 1), s, Int32(s.utf8.count), transient)
      }
    }
    while true {
      let status = sqlite3_step(statement)
      if status == SQLITE_ROW {
        row(statement)
      } else if status == SQLITE_DONE {
        return
      } else {
        throw SQLiteError(handle)
      }
    }
  }

  private static func execute(_ handle: OpaquePointer, _ sql: String) throws {
    guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw SQLiteError(handle) }
  }

  private static func stamp() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return formatter.string(from: Date())
  }
}

/// An SQLite result code with its message.
struct SQLiteError: Error, CustomStringConvertible {
  var code: Int32
  var message: String

  init(code: Int32, message: String) {
    self.code = code
    self.message = message
  }

  init(_ handle: OpaquePointer) {
    code = sqlite3_extended_errcode(handle)
    message = String(cString: sqlite3_errmsg(handle))
  }

  /// The file is not a database or is damaged: moving it aside helps; other errors it would not fix.
  var isDamage: Bool { code & 0xff == SQLITE_NOTADB || code & 0xff == SQLITE_CORRUPT }

  var description: String { "\(message) (SQLite \(code))" }
}
