import Testing

@testable import CellCompiler

@Suite struct CellAnalysisTests {
  @Test(arguments: ["1 + 1", "let x = 1", "func f() -> Int {\n  1\n}", "", "// only a comment"])
  func complete(_ code: String) {
    #expect(CellAnalysis.isComplete(code) == .complete)
  }

  @Test func incompleteCodeAsksForIndentation() {
    #expect(CellAnalysis.isComplete("func f() {") == .incomplete(indent: "  "))
    #expect(CellAnalysis.isComplete("struct S {\n  func g() {") == .incomplete(indent: "    "))
    #expect(CellAnalysis.isComplete("let a = [1, 2,") == .incomplete(indent: "  "))
    #expect(CellAnalysis.isComplete("let s = \"\"\"\nabc") == .incomplete(indent: "  "))
    #expect(CellAnalysis.isComplete("let x = 1 +") == .incomplete(indent: ""))
  }

  @Test(arguments: ["let = 5", "func 1x() {}", "1 +* 2 }"])
  func invalid(_ code: String) {
    #expect(CellAnalysis.isComplete(code) == .invalid)
  }

  @Test func declarationsCarrySignaturesAndDocComments() {
    let code = """
      /// Doubles a number.
      /// Twice as big.
      func double(_ x: Int) -> Int { x * 2 }
      /** A point. */
      struct Point {
        /// The x coordinate.
        var x: Int
        func moved() -> Point { self }
      }
      let (a, b) = (1, 2)
      """
    let declarations = CellAnalysis.declarations(in: code)
    #expect(declarations.map(\.name) == ["double", "Point", "x", "moved", "a", "b"])
    #expect(declarations[0].signature == "func double(_ x: Int) -> Int")
    #expect(declarations[0].documentation == "Doubles a number.\nTwice as big.")
    #expect(declarations[1].signature == "struct Point" && declarations[1].documentation == "A point.")
    #expect(declarations[2].documentation == "The x coordinate.")
  }
}
