import Foundation
import Testing

@testable import CellCompiler
@testable import SourceKitCompletion

@Suite struct CompletionServerTests {
  @Test func placeholdersAreLeftEmpty() {
    #expect(CompletionServer.insertion(source: "uppercased()") == "uppercased()")
    #expect(CompletionServer.insertion(source: "Point(x: <#T##Int#>, y: <#T##Int#>)") == "Point(x: , y: )")
    #expect(CompletionServer.insertion(source: "f(<#T##x: Int##Int#>") == "f(")
  }

  @Test func kindsInIPythonsWords() {
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.function.method.instance") == "function")
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.function.constructor") == "function")
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.var.instance") == "property")
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.var.global") == "instance")
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.struct") == "class")
    #expect(CompletionServer.jupyterKind("source.lang.swift.keyword") == "keyword")
    #expect(CompletionServer.jupyterKind("source.lang.swift.decl.module") == "module")
  }

  @Test func nearerContextsRankFirst() {
    let local = CompletionServer.rank(context: "source.codecompletion.context.local")
    let member = CompletionServer.rank(context: "source.codecompletion.context.thisclass")
    let other = CompletionServer.rank(context: "source.codecompletion.context.othermodule")
    #expect(local < member && member < other)
    #expect(CompletionServer.rank(context: "") > other)
  }

  /// The real SourceKit of the toolchain the tests run with: members of a local struct after a dot,
  /// filtered by the prefix, with their types.
  @Test func sourceKitCompletesMembersOfALocalType() throws {
    let toolchain = try Toolchain.locate()
    guard FileManager.default.fileExists(atPath: toolchain.sourceKitLibrary) else {
      Issue.record("the toolchain has no \(toolchain.sourceKitLibrary)")
      return
    }
    let kit = try SourceKitD(path: toolchain.sourceKitLibrary)
    let head =
      "struct Point { var x: Int; var y: Int; func length() -> Double { 0 } }\nfunc f() {\nlet p = Point(x: 1, y: 2)\np."
    let text = head + "le\n}\n"
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("completion-test.swift").path
    let query = CompletionQuery(
      id: 1, file: file, text: text, offset: head.utf8.count, prefix: "le", arguments: ["-module-name", "Test"])
    let matches = try CompletionServer.complete(query, with: kit)
    #expect(matches.map(\.text) == ["length()"])
    #expect(matches.first?.kind == "function" && matches.first?.signature == "() -> Double")
    let all = try CompletionServer.complete(
      CompletionQuery(
        id: 2, file: file, text: text, offset: head.utf8.count, prefix: "", arguments: ["-module-name", "Test"]),
      with: kit)
    #expect(Set(all.map(\.text)).isSuperset(of: ["x", "y", "length()"]))
    #expect(all.first { $0.text == "x" }?.signature == "Int")
  }

  @Test func aMissingLibraryIsAnErrorNotACrash() {
    #expect(throws: SourceKitD.LoadError.self) { try SourceKitD(path: "/nonexistent/libsourcekitdInProc.so") }
  }
}
