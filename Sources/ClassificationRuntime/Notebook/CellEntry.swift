internal import Synchronization

/// How a compiled cell reports an error it threw: its type's name and its description, as C strings.
public typealias __CellErrorReport = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Void

/// Runs a cell's statements for its `@_cdecl` entry point: 0 when they ran to the end, 1 after
/// reporting a thrown error. It lives here so that each cell compiles the least code of its own.
public func __runCell(_ statements: () throws -> Void, reporting report: __CellErrorReport) -> Int32 {
  do {
    try statements()
    return 0
  } catch {
    let described = __describe(error)
    report(described.name, described.value)
    return 1
  }
}

/// Runs cell `number`'s statements, as `__runCell(_:reporting:)`, marking that cell as the one running
/// until it ends (a trap included: the executor's end-of-cell hook clears the mark).
public func __runCell(_ number: Int, _ statements: () throws -> Void, reporting report: __CellErrorReport) -> Int32 {
  RunningCell.number.store(number, ordering: .releasing)
  return __runCell(statements, reporting: report)
}

/// The module number of the cell whose statements run now; -1 between cells.
enum RunningCell {
  static let number = Atomic<Int>(-1)
}

/// A cell's global, initialised. Globals initialise lazily, on first use: the cell touches each one where
/// it is declared, so it takes its value there. Used from anywhere else — a function of that cell called
/// after the executor restarted, or after the cell stopped before the declaration — the initialiser
/// would run again in silence, with its side effects and an old value. That is a trap instead, which
/// names the global and the cell to run again; the session is kept.
public func __global<T>(
  _ cellNumber: Int, _ name: StaticString, _ cell: StaticString, _ value: @autoclosure () throws -> T
) rethrows -> T {
  guard RunningCell.number.load(ordering: .acquiring) == cellNumber else {
    fatalError(
      "'\(name)' has no value: \(cell) did not get to set it in this executor (it was restarted since, or the cell stopped before that line); run \(cell) again",
      file: "", line: 0)
  }
  return try value()
}
