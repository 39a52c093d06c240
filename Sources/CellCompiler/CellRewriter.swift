import SwiftParser
import SwiftSyntax

/// The generated source of one cell and what is needed to map the compiler's words back to it.
struct RewrittenCell: Sendable {
  /// The import lines that do not depend on the session: the runtime's and the user's own.
  var baseImports: [String]
  /// The earlier cells this one imports.
  var cellImports: CellImports
  /// Everything after the imports.
  var program: String
  var symbols: CellSymbols
  var moduleName: String
  var entryPoint: String
  var declaredNames: [DeclaredName]
  var imports: [String]
  /// Whether the cell declares anything (names, extensions, operators) that later cells must import.
  var declaresAnything: Bool
  /// Maps the columns the compiler reports back to the user's columns.
  var columns: ColumnMap

  /// The lines before the program: earlier cells `@testable import`ed, the runtime and the user's
  /// imports, then the scoped imports that make the newest declaration of a name win.
  var header: [String] {
    cellImports.modules.map { "@testable import \($0)" } + baseImports + cellImports.scoped
  }

  /// The source file as it is compiled (`CompileDescription.source(program:)` writes the same).
  var source: String { header.joined(separator: "\n") + "\n" + program }
}

/// Where generated text was inserted into the user's lines, so reported columns can be mapped back.
struct ColumnMap: Sendable, Equatable {
  struct Insertion: Sendable, Equatable {
    /// The user's column (1-based) before which the text was inserted.
    var column: Int
    var length: Int
  }
  /// Text put in front of a whole line (a wrapper such as `__show(`), by cell line.
  var lineShifts: [Int: Int] = [:]
  /// Text inserted inside a line (a `public ` modifier), by cell line.
  var insertions: [Int: [Insertion]] = [:]

  init() {}

  /// The user's column for a column the compiler reported on a cell line.
  func originalColumn(line: Int, column: Int) -> Int {
    var c = max(1, column - (lineShifts[line] ?? 0))
    var inserted = 0
    for insertion in (insertions[line] ?? []).sorted(by: { $0.column < $1.column }) {
      let start = insertion.column + inserted
      if c < start { break }
      if c < start + insertion.length { return insertion.column }
      inserted += insertion.length
    }
    c -= inserted
    return max(1, c)
  }
}

/// Turns a cell into a library source: declarations at file scope, statements in order in a throwing run function.
struct CellRewriter {
  /// A unique number per compiled cell: it names the module and the entry point.
  let cellNumber: Int
  /// The number the user sees (the execution count): errors and traps name `<Cell label>`.
  let label: Int
  let runtimeModule: String

  /// The file its `#sourceLocation`s name: the cell's debugger path (`CellFiles`), else `<Cell label>`.
  let fileName: String

  init(cellNumber: Int, label: Int? = nil, file: String? = nil, runtimeModule: String = "ClassificationRuntime") {
    self.cellNumber = cellNumber
    self.label = label ?? cellNumber
    self.runtimeModule = runtimeModule
    fileName = file ?? CellLabel(label ?? cellNumber).description
  }

  var moduleName: String { "Cell_\(cellNumber)" }

  func rewrite(_ code: String, scope: SessionScope) -> RewrittenCell {
    LargeStack.run { rewriteOnThisThread(code, scope: scope) }
  }

  private func rewriteOnThisThread(_ code: String, scope: SessionScope) -> RewrittenCell {
    let tree = Parser.parse(source: code)
    let converter = SourceLocationConverter(fileName: fileName, tree: tree)
    var declarations: [String] = []
    var body: [String] = []
    var names: [DeclaredName] = []
    var imports: [String] = []
    var columns = ColumnMap()
    let items = Array(tree.statements)
    var resultCounter = 0

    /// The user's text for a node, placed so that its first character keeps its cell column when it can.
    /// `insertions` are (position, text) pairs spliced into the node's text.
    func chunk(
      _ node: some SyntaxProtocol, prefix: String = "", suffix: String = "",
      insertions: [(AbsolutePosition, String)] = []
    ) -> String {
      let start = node.positionAfterSkippingLeadingTrivia
      let location = converter.location(for: start)
      var text = node.trimmedDescription
      for (position, inserted) in insertions.sorted(by: { $0.0 > $1.0 }) {
        let utf8 = Array(text.utf8)
        let offset = position.utf8Offset - start.utf8Offset
        text = String(decoding: utf8[..<offset] + Array(inserted.utf8) + utf8[offset...], as: UTF8.self)
        let at = converter.location(for: position)
        columns.insertions[at.line, default: []].append(.init(column: at.column, length: inserted.count))
      }
      let padding = max(0, location.column - 1 - prefix.count)
      let shift = max(0, prefix.count - (location.column - 1))
      if shift > 0 { columns.lineShifts[location.line] = shift }
      return "#sourceLocation(file: \"\(fileName)\", line: \(location.line))\n"
        + String(repeating: " ", count: padding) + prefix + text + suffix + "\n#sourceLocation()"
    }

    /// `__global(N, "name", "<Cell L>", ` before a global's initialiser: see the runtime's `__global`.
    func guardedOpening(_ pattern: PatternSyntax) -> String {
      let name = pattern.trimmedDescription.replacingOccurrences(of: "\\", with: "\\\\")
        .replacingOccurrences(of: "\"", with: "\\\"")
      return "__global(\(cellNumber), \"\(name)\", \"\(CellLabel(label))\", "
    }

    for (index, item) in items.enumerated() {
      switch item.item {
      case .decl(let decl):
        if let importDecl = decl.as(ImportDeclSyntax.self) {
          imports.append(importDecl.trimmedDescription)
          continue
        }
        if let variable = decl.as(VariableDeclSyntax.self) {
          let bound = variable.bindings.flatMap { Self.boundNames(in: $0.pattern) }
          let kind: DeclaredName.Kind = variable.bindingSpecifier.tokenKind == .keyword(.let) ? .let : .var
          names += bound.map { DeclaredName(name: $0, kind: kind) }
          let isComputed = variable.bindings.contains { $0.accessorBlock != nil }
          if let binding = variable.bindings.first, variable.bindings.count == 1,
            let initializer = binding.initializer, Self.throwsOutsideClosures(initializer.value)
          {
            // A global's initialiser cannot throw: keep the outcome in a Result and rethrow it in order.
            resultCounter += 1
            let result = "__result_\(cellNumber)_\(resultCounter)"
            let annotation = binding.typeAnnotation.map { "Result<\($0.type.trimmedDescription), any Error>" }
            declarations.append(
              chunk(
                initializer.value,
                prefix: "private let \(result)\(annotation.map { ": \($0)" } ?? "") = "
                  + guardedOpening(binding.pattern) + "Result { ",
                suffix: " })"))
            let specifier = variable.bindingSpecifier.text
            let typeText = binding.typeAnnotation.map { ": " + $0.type.trimmedDescription } ?? ""
            declarations.append("\(specifier) \(binding.pattern.trimmedDescription)\(typeText) = try! \(result).get()")
            body.append("  _ = try \(result).get()")
          } else {
            // Each stored global's initialiser runs only while this cell runs (`__global`).
            let guarded = variable.bindings.filter { $0.accessorBlock == nil }.compactMap { binding in
              binding.initializer.map { initializer in
                [
                  (initializer.value.positionAfterSkippingLeadingTrivia, guardedOpening(binding.pattern)),
                  (initializer.value.endPositionBeforeTrailingTrivia, ")"),
                ]
              }
            }
            declarations.append(chunk(variable, insertions: guarded.flatMap { $0 }))
          }
          if !isComputed {
            // Globals initialise lazily; touching each one here keeps the order the user wrote.
            body += bound.map { "  _ = \($0)" }
          }
          continue
        }
        if let ext = decl.as(ExtensionDeclSyntax.self), ext.inheritanceClause != nil {
          // Earlier cells are imported @testable, so their types look public: a conformance added
          // here needs public witnesses. Members without an access level get `public`.
          declarations.append(chunk(decl, insertions: Self.publicModifierInsertions(ext).map { ($0, "public ") }))
        } else {
          declarations.append(chunk(decl))
        }
        if let name = Self.declaredName(decl) { names.append(name) }
      case .stmt, .expr:
        let isLast = index == items.count - 1
        if isLast, case .expr(let expr) = item.item {
          body.append(chunk(expr, prefix: "__show(", suffix: ")"))
        } else {
          body.append(chunk(item.item))
        }
      }
    }

    let baseImports =
      ["import \(runtimeModule)"] + scope.userImports + imports.filter { !scope.userImports.contains($0) }
    let symbols = Self.symbols(in: tree)
    let cellImports = scope.imports(for: symbols, declaring: Set(names.map(\.name)))
    let entry = "swift_kernel_cell_\(cellNumber)"
    let program = """
      \(declarations.joined(separator: "\n"))
      func __cellStatements() throws {
      \(body.joined(separator: "\n"))
      }
      @_cdecl("\(entry)")
      public func __cellEntry(_ report: __CellErrorReport) -> Int32 { __runCell(\(cellNumber), __cellStatements, reporting: report) }

      """
    return RewrittenCell(
      baseImports: baseImports, cellImports: cellImports, program: program, symbols: symbols, moduleName: moduleName,
      entryPoint: entry, declaredNames: names, imports: imports,
      declaresAnything: !declarations.isEmpty, columns: columns)
  }

  /// The identifiers a cell mentions, and what it declares that later cells may use without naming it.
  static func symbols(in tree: SourceFileSyntax) -> CellSymbols {
    var symbols = CellSymbols()
    for token in tree.tokens(viewMode: .sourceAccurate) {
      if case .identifier(let text) = token.tokenKind {
        symbols.used.insert(text.trimmingBackticks)
      }
    }
    for item in tree.statements {
      guard case .decl(let decl) = item.item else { continue }
      if decl.is(OperatorDeclSyntax.self) || decl.is(PrecedenceGroupDeclSyntax.self) {
        symbols.declaresImplicitUses = true
      }
      if let function = decl.as(FunctionDeclSyntax.self), !function.name.tokenKind.isIdentifier {
        symbols.declaresImplicitUses = true  // a global operator function
      }
      let members: MemberBlockSyntax?
      let owner: String
      if let ext = decl.as(ExtensionDeclSyntax.self) {
        members = ext.memberBlock
        owner = ext.extendedType.trimmedDescription.split(separator: "<").first.map(String.init) ?? ""
        if ext.inheritanceClause != nil { symbols.declaresImplicitUses = true }
      } else {
        members = decl.asProtocol(DeclGroupSyntax.self)?.memberBlock
        owner = declaredName(decl)?.name ?? ""
      }
      func add(_ member: String) { symbols.members[member, default: []].insert(owner) }
      for member in members?.members ?? [] {
        let memberDecl = member.decl
        if let function = memberDecl.as(FunctionDeclSyntax.self) {
          if function.name.tokenKind.isIdentifier {
            add(function.name.text.trimmingBackticks)
          } else {
            symbols.declaresImplicitUses = true  // an operator
          }
        } else if let variable = memberDecl.as(VariableDeclSyntax.self) {
          for binding in variable.bindings {
            for name in boundNames(in: binding.pattern) { add(name.trimmingBackticks) }
          }
        } else if let cases = memberDecl.as(EnumCaseDeclSyntax.self) {
          for element in cases.elements { add(element.name.text.trimmingBackticks) }
        } else if let name = declaredName(memberDecl) {
          add(name.name)
        } else if decl.is(ExtensionDeclSyntax.self),
          memberDecl.is(InitializerDeclSyntax.self) || memberDecl.is(SubscriptDeclSyntax.self)
        {
          symbols.declaresImplicitUses = true  // `Tensor(custom:)` or `t[…]` names nothing of this cell
        }
      }
    }
    return symbols
  }

  /// Where `public ` goes in each member of an extension that has no access level of its own.
  static func publicModifierInsertions(_ ext: ExtensionDeclSyntax) -> [AbsolutePosition] {
    let accessLevels: Set<Keyword> = [.public, .private, .fileprivate, .internal, .open, .package]
    var positions: [AbsolutePosition] = []
    for member in ext.memberBlock.members {
      let decl = member.decl
      guard let withModifiers = decl.asProtocol(WithModifiersSyntax.self),
        !decl.is(EnumCaseDeclSyntax.self), !decl.is(DeinitializerDeclSyntax.self), !decl.is(IfConfigDeclSyntax.self)
      else { continue }
      let hasAccess = withModifiers.modifiers.contains {
        if case .keyword(let k) = $0.name.tokenKind { return accessLevels.contains(k) } else { return false }
      }
      if hasAccess { continue }
      let afterAttributes = decl.asProtocol(WithAttributesSyntax.self)?.attributes.endPositionBeforeTrailingTrivia
      let firstToken = decl.tokens(viewMode: .sourceAccurate).first {
        afterAttributes == nil || $0.positionAfterSkippingLeadingTrivia >= afterAttributes!
      }
      if let firstToken { positions.append(firstToken.positionAfterSkippingLeadingTrivia) }
    }
    return positions
  }

  static func boundNames(in pattern: PatternSyntax) -> [String] {
    if let identifier = pattern.as(IdentifierPatternSyntax.self) { return [identifier.identifier.text] }
    if let tuple = pattern.as(TuplePatternSyntax.self) { return tuple.elements.flatMap { boundNames(in: $0.pattern) } }
    if let valueBinding = pattern.as(ValueBindingPatternSyntax.self) { return boundNames(in: valueBinding.pattern) }
    return []
  }

  static func declaredName(_ decl: DeclSyntax) -> DeclaredName? {
    if let d = decl.as(FunctionDeclSyntax.self), case .identifier = d.name.tokenKind {
      return .init(name: d.name.text, kind: .func)
    }
    if let d = decl.as(StructDeclSyntax.self) { return .init(name: d.name.text, kind: .struct) }
    if let d = decl.as(ClassDeclSyntax.self) { return .init(name: d.name.text, kind: .class) }
    if let d = decl.as(EnumDeclSyntax.self) { return .init(name: d.name.text, kind: .enum) }
    if let d = decl.as(ProtocolDeclSyntax.self) { return .init(name: d.name.text, kind: .protocol) }
    if let d = decl.as(TypeAliasDeclSyntax.self) { return .init(name: d.name.text, kind: .typealias) }
    return nil
  }

  /// Whether an expression has a `try` (not `try?`/`try!`) that is not inside a closure.
  static func throwsOutsideClosures(_ expr: ExprSyntax) -> Bool {
    final class Finder: SyntaxVisitor {
      var found = false
      override func visit(_ node: TryExprSyntax) -> SyntaxVisitorContinueKind {
        if node.questionOrExclamationMark == nil { found = true }
        return .visitChildren
      }
      override func visit(_ node: ClosureExprSyntax) -> SyntaxVisitorContinueKind { .skipChildren }
    }
    let finder = Finder(viewMode: .sourceAccurate)
    finder.walk(expr)
    return finder.found
  }
}

extension TokenKind {
  fileprivate var isIdentifier: Bool {
    if case .identifier = self { return true }
    return false
  }
}

extension String {
  fileprivate var trimmingBackticks: String {
    hasPrefix("`") && hasSuffix("`") && count >= 2 ? String(dropFirst().dropLast()) : self
  }
}
