import ExecutorWire
import Foundation
import SwiftParser
import SwiftSyntax

/// A declaration a user wrote in a cell, for completion and inspection.
package struct CellDeclaration: Sendable, Equatable {
  package var name: String
  package var kind: String
  /// The declaration's signature: its text up to the body.
  package var signature: String
  package var documentation: String
  /// The whole declaration as written, body included (inspection's `detail_level: 1`).
  package var source: String = ""
}

/// What the syntax of a cell tells without compiling it.
package enum CellAnalysis {
  /// Whether the code is a finished cell, needs more lines (unclosed brackets), or cannot parse.
  package static func isComplete(_ code: String) -> CodeCompleteness {
    LargeStack.run { isCompleteOnThisThread(code) }
  }

  private static func isCompleteOnThisThread(_ code: String) -> CodeCompleteness {
    let tree = Parser.parse(source: code)
    var depth = 0
    var lastToken: TokenSyntax?
    for token in tree.tokens(viewMode: .sourceAccurate) where token.tokenKind != .endOfFile {
      switch token.tokenKind {
      case .leftBrace, .leftParen, .leftSquare: depth += 1
      case .rightBrace, .rightParen, .rightSquare: depth -= 1
      default: break
      }
      lastToken = token
    }
    let unterminatedString = tree.tokens(viewMode: .all).contains {
      $0.tokenKind == .multilineStringQuote && $0.presence == .missing
    }
    if depth > 0 || unterminatedString {
      return .incomplete(indent: String(repeating: "  ", count: max(depth, 1)))
    }
    guard tree.hasError else { return .complete }
    if depth == 0, let last = lastToken, case .binaryOperator = last.tokenKind { return .incomplete(indent: "") }
    if let last = lastToken, [.equal, .comma, .period, .arrow].contains(last.tokenKind) {
      return .incomplete(indent: "")
    }
    return .invalid
  }

  /// The top-level declarations of a cell (and the members of its types), with their doc comments.
  package static func declarations(in code: String) -> [CellDeclaration] {
    LargeStack.run { declarationsOnThisThread(in: code) }
  }

  private static func declarationsOnThisThread(in code: String) -> [CellDeclaration] {
    let tree = Parser.parse(source: code)
    var result: [CellDeclaration] = []
    func visit(_ decl: DeclSyntax) {
      let doc = documentation(decl.leadingTrivia)
      let signature = signatureText(decl)
      if let v = decl.as(VariableDeclSyntax.self) {
        for binding in v.bindings {
          for name in CellRewriter.boundNames(in: binding.pattern) {
            result.append(
              CellDeclaration(
                name: name, kind: v.bindingSpecifier.text, signature: signature, documentation: doc,
                source: decl.trimmedDescription))
          }
        }
        return
      }
      if let name = CellRewriter.declaredName(decl) {
        result.append(
          CellDeclaration(
            name: name.name, kind: name.kind.rawValue, signature: signature, documentation: doc,
            source: decl.trimmedDescription))
      }
      let members: MemberBlockSyntax? =
        decl.as(StructDeclSyntax.self)?.memberBlock ?? decl.as(ClassDeclSyntax.self)?.memberBlock
        ?? decl.as(EnumDeclSyntax.self)?.memberBlock ?? decl.as(ExtensionDeclSyntax.self)?.memberBlock
        ?? decl.as(ProtocolDeclSyntax.self)?.memberBlock
      for member in members?.members ?? [] { visit(member.decl) }
    }
    for item in tree.statements {
      if case .decl(let decl) = item.item { visit(decl) }
    }
    return result
  }

  /// The declaration without its body: `func f(x: Int) -> Int`, `class A: B`.
  static func signatureText(_ decl: DeclSyntax) -> String {
    var text = decl.trimmedDescription
    if let f = decl.as(FunctionDeclSyntax.self), let body = f.body {
      text = String(
        text.prefix(
          body.positionAfterSkippingLeadingTrivia.utf8Offset - f.positionAfterSkippingLeadingTrivia.utf8Offset))
    } else if let brace = decl.tokens(viewMode: .sourceAccurate).first(where: { $0.tokenKind == .leftBrace }) {
      text =
        String(
          text.utf8.prefix(
            brace.positionAfterSkippingLeadingTrivia.utf8Offset - decl.positionAfterSkippingLeadingTrivia.utf8Offset))
        ?? text
    }
    let withoutAttributes = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(
      separator: " ")
    return withoutAttributes.trimmingCharacters(in: .whitespaces)
  }

  static func documentation(_ trivia: Trivia) -> String {
    var lines: [String] = []
    for piece in trivia {
      switch piece {
      case .docLineComment(let text):
        lines.append(String(text.dropFirst(3)).trimmingCharacters(in: .whitespaces))
      case .docBlockComment(let text):
        lines.append(String(text.dropFirst(3).dropLast(2)).trimmingCharacters(in: .whitespacesAndNewlines))
      default: break
      }
    }
    return lines.joined(separator: "\n")
  }
}
