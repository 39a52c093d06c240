import Testing

@testable import CellCompiler

@Suite struct DiagnosticsMapperTests {
  let output = """
    <Cell 4>:2:14: error: cannot convert value of type 'String' to specified type 'Int'
    let z: Int = "text"
                 ^~~~~~
    <Cell 2>:1:5: note: 'z' previously declared here
    /tmp/swift-kernel-1/Cell_7.swift:12:3: warning: initialization of immutable value 'q' was never used
    /tmp/swift-kernel-1/Cell_7.swift:20:3: error: something in generated code
    <unknown>:0: error: unable to load standard library
    """

  @Test func parsesLocationsSeveritiesAndCells() {
    let diagnostics = DiagnosticsMapper.parse(output)
    #expect(diagnostics.count == 5)
    #expect(
      diagnostics[0]
        == Diagnostic(
          cell: 4, line: 2, column: 14, severity: .error,
          message: "cannot convert value of type 'String' to specified type 'Int'"))
    #expect(diagnostics[1].cell == 2 && diagnostics[1].severity == .note)
    #expect(diagnostics[2].cell == nil && diagnostics[2].severity == .warning)
    #expect(diagnostics[4].cell == nil && diagnostics[4].message == "unable to load standard library")
  }

  @Test func tracebackShowsCellErrorsWithSourceAndCaretAndHidesGeneratedCode() {
    let sources = [4: "var a = 1\nlet z: Int = \"text\"", 2: "let z = 0"]
    let lines = DiagnosticsMapper.traceback(
      DiagnosticsMapper.parse(output), cellNumber: 4, columns: ColumnMap(), source: { sources[$0] })
    #expect(
      lines == [
        "<Cell 4>:2:14: error: cannot convert value of type 'String' to specified type 'Int'",
        "let z: Int = \"text\"",
        "             ^",
        "<Cell 2>:1:5: note: 'z' previously declared here",
        "let z = 0",
        "    ^",
      ])
  }

  @Test func generatedCodeErrorsShowOnlyWhenNothingPointsIntoACell() {
    let lines = DiagnosticsMapper.traceback(
      DiagnosticsMapper.parse("/tmp/x/Cell_1.swift:3:1: error: internal trouble\n/tmp/x/Cell_1.swift:3:1: warning: w"),
      cellNumber: 1, columns: ColumnMap(), source: { _ in nil })
    #expect(lines == ["error: internal trouble"])
  }

  @Test func columnsAreMappedThroughTheColumnMap() {
    var map = ColumnMap()
    map.lineShifts[1] = 7
    let lines = DiagnosticsMapper.traceback(
      DiagnosticsMapper.parse("<Cell 1>:1:12: error: cannot find 'nope' in scope"), cellNumber: 1, columns: map,
      source: { _ in "x + nope" })
    #expect(lines == ["<Cell 1>:1:5: error: cannot find 'nope' in scope", "x + nope", "    ^"])
  }
}
