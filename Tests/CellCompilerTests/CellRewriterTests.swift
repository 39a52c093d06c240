import Testing

@testable import CellCompiler

@Suite struct CellRewriterTests {
  func rewrite(_ code: String, number: Int = 3, scope: SessionScope = SessionScope()) -> RewrittenCell {
    CellRewriter(cellNumber: number, label: number).rewrite(code, scope: scope)
  }

  /// The generated run function's body, without the #sourceLocation lines.
  func runBody(_ cell: RewrittenCell) -> [String] {
    let source = cell.source
    let start = source.range(of: "func __cellStatements() throws {\n")!.upperBound
    let end = source.range(of: "\n}\n@_cdecl")!.lowerBound
    return source[start..<end].split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#sourceLocation") }
  }

  @Test func declarationsStayAtFileScopeAndStatementsRunInOrder() {
    let cell = rewrite("print(1)\nlet x = 2\nfunc f() -> Int { x }\nprint(f())\nstruct S {}")
    #expect(runBody(cell) == ["print(1)", "  _ = x", "print(f())"])
    let beforeRun = cell.source.components(separatedBy: "func __cellStatements")[0]
    #expect(
      beforeRun.contains("let x = __global(3, \"x\", \"<Cell 3>\", 2)") && beforeRun.contains("func f() -> Int { x }")
        && beforeRun.contains("struct S {}"))
    #expect(
      cell.declaredNames == [
        .init(name: "x", kind: .let), .init(name: "f", kind: .func), .init(name: "S", kind: .struct),
      ])
    #expect(cell.source.contains("@_cdecl(\"swift_kernel_cell_3\")") && cell.entryPoint == "swift_kernel_cell_3")
  }

  @Test func trailingExpressionIsShownAndOnlyTheLastOne() {
    let cell = rewrite("1 + 1\nlet y = 3\ny * 2")
    #expect(runBody(cell) == ["1 + 1", "  _ = y", "__show(y * 2)"])
    #expect(cell.columns.lineShifts == [3: 7])
    #expect(runBody(rewrite("for i in 0..<2 { print(i) }")) == ["for i in 0..<2 { print(i) }"])
  }

  @Test func statementsKeepTheirCellLineAndColumn() {
    let cell = rewrite("let a = 1\n\n   print(a)\nlet b = 2")
    #expect(cell.source.contains("#sourceLocation(file: \"<Cell 3>\", line: 3)\n   print(a)"))
  }

  @Test func tupleAndComputedVariables() {
    let cell = rewrite("var (p, q) = (1, 2)\nvar computed: Int { p + q }")
    #expect(runBody(cell) == ["  _ = p", "  _ = q"])
    #expect(cell.declaredNames.map(\.name) == ["p", "q", "computed"])
  }

  @Test func storedGlobalsInitialiseOnlyThroughTheirCell() {
    let cell = rewrite("var (p, q) = (1, 2), r: Double = 3\nvar computed: Int { p + q }\nlet s = \"a\\\"b\"")
    #expect(cell.source.contains("var (p, q) = __global(3, \"(p, q)\", \"<Cell 3>\", (1, 2)), r: Double = __global(3, \"r\", \"<Cell 3>\", 3)"))
    #expect(cell.source.contains("var computed: Int { p + q }"))
    #expect(cell.source.contains("__runCell(3, __cellStatements, reporting: report)"))
  }

  @Test func throwingInitialiserBecomesAResultRethrownInOrder() {
    let cell = rewrite("print(0)\nlet text: String = try load()\nlet safe = try? load()")
    #expect(
      cell.source.contains(
        "private let __result_3_1: Result<String, any Error> = __global(3, \"text\", \"<Cell 3>\", Result { try load() })"))
    #expect(cell.source.contains("let text: String = try! __result_3_1.get()"))
    #expect(runBody(cell) == ["print(0)", "  _ = try __result_3_1.get()", "  _ = text", "  _ = safe"])
    // A `try` inside a closure does not make the initialiser throw.
    #expect(!rewrite("let f = { try load() }").source.contains("Result {"))
  }

  @Test func earlierCellsAreImportedWithTheNewestDefinitionOfEachName() {
    var scope = SessionScope()
    scope.record(
      module: "Cell_1", names: [.init(name: "x", kind: .var), .init(name: "P", kind: .struct)],
      imports: ["import Foundation"])
    scope.record(module: "Cell_2", names: [.init(name: "x", kind: .let)], imports: [])
    let cell = rewrite("let P = 5\nx", number: 3, scope: scope)
    let header = cell.source.components(separatedBy: "\n#sourceLocation")[0]
    #expect(header == "@testable import Cell_2\nimport ClassificationRuntime\nimport Foundation\nimport let Cell_2.x")
    #expect(!header.contains("Cell_1"), "x's old module is not needed, and P is declared again here")
  }

  @Test func aCellImportsOnlyTheCellsItUsesAndWhatThoseImported() {
    var scope = SessionScope()
    scope.record(
      module: "Cell_1", names: [.init(name: "Point", kind: .struct)], imports: [],
      symbols: CellSymbols(members: ["x": ["Point"], "y": ["Point"]]))
    scope.record(
      module: "Cell_2", names: [.init(name: "origin", kind: .let)], imports: [],
      symbols: CellSymbols(used: ["Point", "origin"]), importedModules: ["Cell_1"])
    for i in 3...50 { scope.record(module: "Cell_\(i)", names: [.init(name: "v\(i)", kind: .let)], imports: []) }
    let usesOrigin = rewrite("print(origin)", number: 51, scope: scope).cellImports
    #expect(usesOrigin.modules == ["Cell_1", "Cell_2"], "origin's type lives in Cell_1")
    #expect(usesOrigin.scoped == ["import let Cell_2.origin"])
    #expect(rewrite("v7 + v9", number: 51, scope: scope).cellImports.modules == ["Cell_7", "Cell_9"])
    #expect(rewrite("1 + 1", number: 51, scope: scope).cellImports == CellImports(modules: [], scoped: []))
    #expect(
      rewrite("func f(_ p: Any) -> Int { 0 }\nlet q = [1].map { $0 }.count + 0", scope: scope).cellImports.modules == []
    )
    let member = rewrite("let s = someValue.y", number: 51, scope: scope).cellImports
    #expect(member.modules == ["Cell_1"], "a member an earlier cell declared")
    let everything = scope.imports(for: CellSymbols(), declaring: [], everything: true)
    #expect(everything.modules.count == 50 && everything.scoped.count == 50)
  }

  @Test func membersOfATypeDeclaredAgainAreNotImportedForIt() {
    var scope = SessionScope()
    for i in 1...30 {
      let cell = rewrite(
        "struct Model { var weight: Double }\nlet model = Model(weight: \(i))\nmodel.weight", number: i, scope: scope)
      #expect(cell.cellImports.modules == [], "run \(i) declares Model itself")
      scope.record(
        module: "Cell_\(i)", names: cell.declaredNames, imports: [], symbols: cell.symbols,
        importedModules: cell.cellImports.modules)
    }
    #expect(rewrite("model.weight", number: 31, scope: scope).cellImports.modules == ["Cell_30"])
    // An extension of an earlier cell's type counts while that type is the newest.
    scope.record(module: "Cell_31", names: [], imports: [], symbols: CellSymbols(members: ["doubled": ["Model"]]))
    #expect(rewrite("model.doubled", number: 32, scope: scope).cellImports.modules == ["Cell_30", "Cell_31"])
    scope.record(module: "Cell_32", names: [.init(name: "Model", kind: .struct)], imports: [])
    #expect(!rewrite("x.doubled", number: 33, scope: scope).cellImports.modules.contains("Cell_31"))
  }

  @Test func aMemberTheCellsOwnTypesDeclareImportsNoEarlierTypeWithThatMember() {
    var scope = SessionScope()
    for i in 1...30 {
      let cell = rewrite(
        "struct Point\(i) { var x = \(i); var y = 2 }\nfunc norm\(i)(_ p: Point\(i)) -> Int { p.x * p.x + p.y * p.y }",
        number: i, scope: scope)
      #expect(cell.cellImports.modules == [], "cell \(i) reads only its own Point's x and y")
      scope.record(
        module: "Cell_\(i)", names: cell.declaredNames, imports: [], symbols: cell.symbols,
        importedModules: cell.cellImports.modules)
    }
    // A cell that declares no `x` of its own may mean any of them.
    #expect(rewrite("let s = someValue.x", number: 31, scope: scope).cellImports.modules.count == 30)
    // An extension of a type no cell declared still counts: no name would bring it in.
    scope.record(module: "Cell_31", names: [], imports: [], symbols: CellSymbols(members: ["x": ["Int"]]))
    let own = rewrite("struct Q { var x = 0 }\nlet v = 5.x", number: 32, scope: scope).cellImports.modules
    #expect(own == ["Cell_31"])
    // The fallback when the cell meant an earlier type's member: every cell.
    let everything = scope.imports(for: CellSymbols(used: ["x"], members: ["x": ["Q"]]), declaring: ["Q"], everything: true)
    #expect(everything.modules.count == 31)
  }

  @Test func operatorsAndConformancesAreImportedByEveryLaterCell() {
    for code in [
      "infix operator +++", "func +++ (a: Int, b: Int) -> Int { a }", "extension Int: MyProtocol {}",
      "struct Q { static func + (a: Q, b: Q) -> Q { a } }",
      "extension Tensor { convenience init(seven: Int) { self.init(7) } }",
    ] {
      #expect(rewrite(code).symbols.declaresImplicitUses, "\(code)")
    }
    for code in ["struct Q { var a = 1 }", "extension Int { var twice: Int { self * 2 } }", "func f() {}"] {
      #expect(!rewrite(code).symbols.declaresImplicitUses, "\(code)")
    }
    var scope = SessionScope()
    scope.record(module: "Cell_1", names: [], imports: [], symbols: CellSymbols(declaresImplicitUses: true))
    scope.record(module: "Cell_2", names: [.init(name: "a", kind: .let)], imports: [])
    #expect(rewrite("1 + 1", number: 3, scope: scope).cellImports.modules == ["Cell_1"])
  }

  @Test func membersAndUsesAreReadFromTheSyntax() {
    let symbols = rewrite(
      "struct P { var x = 1, y = 2; func norm() -> Int { x }; enum Kind { case a, b } }\nextension Int { var `twice`: Int { self * 2 } }\nlet n = P().norm() + 3.twice + w.`z`"
    ).symbols
    #expect(symbols.members == ["x": ["P"], "y": ["P"], "norm": ["P"], "Kind": ["P"], "twice": ["Int"]])
    #expect(symbols.used.isSuperset(of: ["P", "x", "norm", "twice", "n", "w", "z", "Int"]))
  }

  @Test func userImportsAreHoistedAndRemembered() {
    let cell = rewrite("import Foundation\nlet d = Date()")
    #expect(cell.imports == ["import Foundation"])
    #expect(cell.source.hasPrefix("import ClassificationRuntime\nimport Foundation\n"))
    #expect(!runBody(cell).contains("import Foundation"))
  }

  @Test func conformanceExtensionsGetPublicWitnesses() {
    let code =
      "extension P: CustomStringConvertible {\n  var description: String { \"p\" }\n  private func hidden() {}\n  @inlinable func g() {}\n}"
    let cell = rewrite(code)
    #expect(cell.source.contains("  public var description: String { \"p\" }"))
    #expect(cell.source.contains("  private func hidden() {}"))
    #expect(cell.source.contains("  @inlinable public func g() {}"))
    #expect(cell.columns.insertions[2] == [.init(column: 3, length: 7)])
    #expect(rewrite("extension P {\n  func plain() {}\n}").source.contains("\n  func plain() {}"))
  }
}

@Suite struct ColumnMapTests {
  @Test func undoesLineShiftsAndInsertions() {
    var map = ColumnMap()
    map.lineShifts[1] = 7
    map.insertions[2] = [.init(column: 3, length: 7), .init(column: 10, length: 7)]
    #expect(map.originalColumn(line: 1, column: 8) == 1)
    #expect(map.originalColumn(line: 1, column: 12) == 5)
    #expect(map.originalColumn(line: 2, column: 2) == 2)
    #expect(map.originalColumn(line: 2, column: 5) == 3, "inside inserted text maps to the insertion point")
    #expect(map.originalColumn(line: 2, column: 10) == 3)
    #expect(map.originalColumn(line: 2, column: 25) == 11)
    #expect(map.originalColumn(line: 9, column: 4) == 4)
  }
}

@Suite struct SessionScopeTests {
  @Test func cellsWithoutDeclarationsAreNotImportedLater() {
    let rewriter = CellRewriter(cellNumber: 1)
    #expect(!rewriter.rewrite("1 + 1\nprint(2)", scope: SessionScope()).declaresAnything)
    #expect(rewriter.rewrite("extension Int { var twice: Int { self * 2 } }", scope: SessionScope()).declaresAnything)
    var scope = SessionScope()
    scope.record(module: "Cell_1", names: [], imports: [], declaresAnything: false)
    scope.record(module: "Cell_2", names: [], imports: [], declaresAnything: true)
    #expect(scope.modules == ["Cell_2"])
  }
}
