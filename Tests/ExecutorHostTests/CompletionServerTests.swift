import Foundation
import Testing

@testable import CellCompiler
@testable import SourceKitCompletion

@Suite(.serialized) struct CompletionServerTests {
  @Test func matchesAreTextAUserCanTypeOn() {
    #expect(CompletionServer.typeable(source: "uppercased()", isConstructor: false) == "uppercased()")
    #expect(CompletionServer.typeable(source: "Point(x: <#T##Int#>, y: <#T##Int#>)", isConstructor: true) == "Point")
    #expect(CompletionServer.typeable(source: "Point()", isConstructor: true) == "Point")
    #expect(CompletionServer.typeable(source: "fit(<#T##model: Module##Module#>)", isConstructor: false) == "fit(")
    #expect(CompletionServer.typeable(source: "display(html: <#T##String#>)", isConstructor: false) == "display(")
    #expect(CompletionServer.typeable(source: "count", isConstructor: false) == "count")
  }

  @Test func signaturesKeepArgumentLabelsAsACallerWritesThem() {
    #expect(
      CompletionServer.signature(
        source: "accuracy(<#T##yHat: Tensor##Tensor#>, <#T##y: Tensor##Tensor#>, averaged: <#T##Bool#>)",
        description: "accuracy(yHat: Tensor, y: Tensor, averaged: Bool)", type: "Tensor")
        == "(_ yHat: Tensor, _ y: Tensor, averaged: Bool) -> Tensor")
    #expect(
      CompletionServer.signature(
        source: "FashionMNIST(batchSize: <#T##Int#>, resize: <#T##(Int, Int)#>, directory: <#T##String?#>)",
        description: "FashionMNIST(batchSize: Int, resize: (Int, Int), directory: String?) throws", type: "")
        == "(batchSize: Int, resize: (Int, Int), directory: String?) throws")
    #expect(CompletionServer.signature(source: "area()", description: "area()", type: "Int") == "() -> Int")
    #expect(CompletionServer.signature(source: "reset()", description: "reset()", type: "Void") == "()")
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
    guard let kit = try sourceKit() else { return }
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

  /// A type's initialisers are its name, a method with arguments its name and parenthesis, and the
  /// signatures keep an unlabelled argument's `_`; `self` is not offered after a dot.
  @Test func sourceKitMatchesAreTextAUserCanTypeOn() throws {
    guard let kit = try sourceKit() else { return }
    let declarations = """
      struct Point {
        var x: Int
        init(x: Int) { self.x = x }
        init() { x = 0 }
        func scaled(_ factor: Int) -> Point { Point(x: x * factor) }
        func reset() {}
      }
      func f() {
      let p = Point()

      """
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("completion-test.swift").path
    func complete(_ line: String, prefix: String) throws -> [CompletionMatch] {
      let head = declarations + line
      let query = CompletionQuery(
        id: 1, file: file, text: head + prefix + "\n}\n", offset: head.utf8.count, prefix: prefix,
        arguments: ["-module-name", "Test"])
      return try CompletionServer.complete(query, with: kit)
    }
    let types = try complete("", prefix: "Poi")
    #expect(types.map(\.text) == ["Point"])
    #expect(types.first?.signature.split(separator: "\n").sorted() == ["()", "(x: Int)"])
    let members = try complete("p.", prefix: "")
    #expect(Set(members.map(\.text)).isSuperset(of: ["x", "scaled(", "reset()"]))
    #expect(!members.contains { $0.text == "self" })
    #expect(members.first { $0.text == "scaled(" }?.signature == "(_ factor: Int) -> Point")
  }

  /// The real SourceKit of the toolchain the tests run with, loaded and initialised once for the process:
  /// two tests initialising it at once crashed inside sourcekitd. Its requests are made one at a time
  /// (the suite is serialised), as the completion server makes them.
  nonisolated(unsafe) static let kit: Result<SourceKitD, any Error> = Result {
    let toolchain = try Toolchain.locate()
    guard FileManager.default.fileExists(atPath: toolchain.sourceKitLibrary) else {
      throw SourceKitD.LoadError(description: "the toolchain has no \(toolchain.sourceKitLibrary)")
    }
    return try SourceKitD(path: toolchain.sourceKitLibrary)
  }

  /// The shared SourceKit; nil (and an issue recorded) without one.
  func sourceKit() throws -> SourceKitD? {
    switch Self.kit {
    case .success(let kit): return kit
    case .failure(let error):
      Issue.record("no SourceKit: \(error)")
      return nil
    }
  }

  /// The compile service's compile, through the same SourceKit: an object written, and messages as values
  /// (file as `#sourceLocation` names it, line, column, severity, notes) that read as the frontend's text.
  @Test func theCompileServerCompilesAndReportsMessagesAsValues() throws {
    guard let kit = try sourceKit() else { return }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("compile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    func compile(_ id: Int, _ source: String) throws -> CompileReply {
      let base = work.appendingPathComponent("Cell_\(id)").path
      try source.write(toFile: base + ".swift", atomically: false, encoding: .utf8)
      let arguments = ["-c", "-wmo", "-parse-as-library", "-module-name", "Cell_\(id)", base + ".swift", "-o", base + ".o"]
      let reply = CompileServer.compile(CompileRequest(id: id, arguments: arguments), with: kit)
      _ = try? kit.send([("key.request", .uid("source.request.compile.close")), ("key.name", .string(CompileServer.name(of: CompileRequest(id: id, arguments: []))))]) { _ in }
      return reply
    }
    let good = try compile(1, "public func twice(_ x: Int) -> Int { 2 * x }\n")
    #expect(good.succeeded && good.messages.isEmpty && good.id == 1 && good.residentBytes > 0)
    #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("Cell_1.o").path))
    let bad = try compile(
      2,
      "enum Suit { case hearts, spades }\nfunc name(_ s: Suit) -> String {\n#sourceLocation(file: \"/cells/abc.swift\", line: 1)\n  switch s {\n  case .hearts: return \"h\"\n  }\n#sourceLocation()\n}\n")
    #expect(!bad.succeeded)
    let error = try #require(bad.messages.first)
    #expect(error.file == "/cells/abc.swift" && error.line == 1 && error.column == 3 && error.severity == "error")
    #expect(error.text.contains("exhaustive") && error.notes.contains { $0.severity == "note" && $0.text.contains(".spades") })
    #expect(error.llvmStyle.hasPrefix("/cells/abc.swift:1:3: error: switch must be exhaustive"))
  }

  @Test func aMissingLibraryIsAnErrorNotACrash() {
    #expect(throws: SourceKitD.LoadError.self) { try SourceKitD(path: "/nonexistent/libsourcekitdInProc.so") }
  }
}
