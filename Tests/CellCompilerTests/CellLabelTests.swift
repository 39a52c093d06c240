import Testing

@testable import CellCompiler

@Suite struct CellLabelTests {
  @Test func writesTheFileNameACellIsCompiledUnder() {
    #expect(CellLabel(12).description == "<Cell 12>")
  }

  @Test func readsTheLabelAndTheLocationAfterIt() throws {
    let diagnostic = try #require(CellLabel.first(in: "<Cell 3>:2:5: error: cannot find 'y' in scope"))
    #expect(diagnostic.label == CellLabel(3) && diagnostic.line == 2 && diagnostic.column == 5)
    let symbolized = try #require(CellLabel.first(in: "__user_cell\n/tmp/session/<Cell 7>:4"))
    #expect(symbolized.label == CellLabel(7) && symbolized.line == 4 && symbolized.column == nil)
    let file = try #require(CellLabel.first(in: "/build/<Cell 41>"))
    #expect(file.label == CellLabel(41) && file.line == nil)
  }

  @Test func ignoresTextThatOnlyLooksLikeALabel() {
    #expect(CellLabel.first(in: "<Cell x>:1:2") == nil)
    #expect(CellLabel.first(in: "Cell 3:1:2") == nil)
    #expect(CellLabel.first(in: "<Cell 3:1:2") == nil)
  }
}
