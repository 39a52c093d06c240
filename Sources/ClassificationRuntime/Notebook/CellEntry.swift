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
