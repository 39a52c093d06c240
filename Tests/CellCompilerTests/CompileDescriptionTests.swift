import Foundation
import SourceKitCompletion
import Testing

@testable import CellCompiler

/// One description of a cell's compile: the compile service, the spawned frontend, completion and the
/// statement cache read the same imports and flags from it.
@Suite struct CompileDescriptionTests {
  func makeCompiler() throws -> (CellCompiler, URL) {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("description-\(UUID().uuidString)")
    let compiler = try CellCompiler(
      toolchain: Toolchain.locate(), workDirectory: work, moduleSearchPaths: ["/runtime/modules"])
    compiler.packageArguments = ["-I", "/packages/Modules", "-Xcc", "-fmodule-map-file=/packages/m.modulemap"]
    // A session: cell 1 declared `x` and `Point`, cell 2 declared `x` again.
    compiler.scope.record(
      module: "Cell_1", names: [.init(name: "x", kind: .var), .init(name: "Point", kind: .struct)],
      imports: ["import Foundation"])
    compiler.scope.record(module: "Cell_2", names: [.init(name: "x", kind: .let)], imports: [])
    return (compiler, work)
  }

  func described(_ code: String, by compiler: CellCompiler, number: Int = 3) -> CompileDescription {
    compiler.description(of: CellRewriter(cellNumber: number, label: number).rewrite(code, scope: compiler.scope))
  }

  @Test func theSameCellCompiledAndCompletedGetsTheSameImportsAndFlags() throws {
    let (compiler, work) = try makeCompiler()
    defer { try? FileManager.default.removeItem(at: work) }
    let code = "let p = Point()\nx + 1"
    let compiled = described(code, by: compiler)
    let completed = compiler.completionContext(for: code)
    #expect(completed.imports == compiled.imports)
    #expect(
      compiled.imports == [
        "@testable import Cell_1", "@testable import Cell_2", "import ClassificationRuntime", "import Foundation",
        "import struct Cell_1.Point", "import let Cell_2.x",
      ])
    var completing = compiled
    completing.moduleName = "CellCompletion"
    #expect(completed.arguments == completing.completionArguments)
    // Every flag completion uses, the compile uses too, in the same order.
    let frontend = compiled.frontendArguments(base: "/w/Cell_3")
    let shared = compiled.sharedArguments
    #expect(shared.contains("/packages/Modules") && shared.contains("/runtime/modules") && shared.contains(compiler.moduleFolder.path))
    #expect(frontend.indices.contains { Array(frontend[$0...].prefix(shared.count)) == shared })
  }

  @Test func theServiceAndTheSpawnedFrontendCompileAlike() throws {
    let (compiler, work) = try makeCompiler()
    defer { try? FileManager.default.removeItem(at: work) }
    for code in ["1 + 1", "struct Q { var v = x }"] {
      let description = described(code, by: compiler)
      let frontend = description.frontendArguments(base: "/w/Cell_3")
      let driver = description.driverArguments(base: "/w/Cell_3")
      let driverOnly = description.emitsModule ? ["-avoid-emit-module-source-info"] : []
      #expect(frontend.prefix(2) == ["-frontend", "-c"] && Array(driver.prefix(2 + driverOnly.count)) == ["-c", "-wmo"] + driverOnly)
      #expect(frontend.dropFirst(2) == driver.dropFirst(2 + driverOnly.count))
      #expect(driver.suffix(3) == ["/w/Cell_3.swift", "-o", "/w/Cell_3.o"])
      // Only a cell that declares something emits a module for later cells.
      #expect(driver.contains("-emit-module-path") == description.emitsModule)
      #expect(description.emitsModule == code.hasPrefix("struct"))
    }
  }

  @Test func theStatementCacheKeyFollowsOptimisationAndImportsButNotTheModuleName() throws {
    let (compiler, work) = try makeCompiler()
    defer { try? FileManager.default.removeItem(at: work) }
    var first = described("x + 1", by: compiler, number: 3)
    var second = described("x + 1", by: compiler, number: 4)
    #expect(first.moduleName != second.moduleName)
    first.moduleName = ""
    second.moduleName = ""
    #expect(first == second)
    compiler.optimization = "-O"  // %timeit
    var optimised = described("x + 1", by: compiler, number: 5)
    optimised.moduleName = ""
    #expect(optimised != first && optimised.frontendArguments(base: "/w/C").contains("-O"))
    #expect(described("Point()", by: compiler).imports != described("x + 1", by: compiler).imports)
  }

  @Test func aServiceMessageReadsAsTheFrontendPrintsIt() {
    let message = CompilerMessage(
      file: "/w/cells/1.swift", line: 4, column: 3, severity: "error", text: "switch must be exhaustive",
      notes: [.init(file: "/w/cells/1.swift", line: 4, column: 3, severity: "note", text: "add missing case: '.b'")])
    #expect(
      message.llvmStyle
        == "/w/cells/1.swift:4:3: error: switch must be exhaustive\n/w/cells/1.swift:4:3: note: add missing case: '.b'")
    let parsed = DiagnosticsMapper.parse(message.llvmStyle)
    #expect(parsed.map(\.severity) == [.error, .note] && parsed[0].line == 4 && parsed[0].column == 3)
  }
}
