import ExecutorWire
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What the kernel asks the completion server: complete `text` at `offset` (UTF-8 bytes, at the start
/// of the identifier being typed), keeping the matches that start with `prefix`.
package struct CompletionQuery: Codable, Sendable, Equatable {
  package var id: Int
  package var file: String
  package var text: String
  package var offset: Int
  package var prefix: String
  package var arguments: [String]

  package init(id: Int, file: String, text: String, offset: Int, prefix: String, arguments: [String]) {
    self.id = id
    self.file = file
    self.text = text
    self.offset = offset
    self.prefix = prefix
    self.arguments = arguments
  }
}

/// One completion, as the kernel shows it.
package struct CompletionMatch: Codable, Sendable, Equatable {
  /// What is inserted: a name a user can type on (`FashionMNIST`, `trainDataloader()`, `fit(`).
  package var text: String
  /// IPython's kinds for `_jupyter_types_experimental`: function, property, instance, class, module,
  /// keyword, statement.
  package var kind: String
  /// The Swift type: a property's type, a function's `(labels) -> result`, one line per overload.
  package var signature: String
  /// Bytes before the identifier the match replaces too (`?.x` replaces the `.` of `value.`).
  package var erase: Int

  package init(text: String, kind: String, signature: String, erase: Int = 0) {
    self.text = text
    self.kind = kind
    self.signature = signature
    self.erase = erase
  }
}

package struct CompletionAnswer: Codable, Sendable, Equatable {
  package var id: Int
  package var matches: [CompletionMatch]
  package var error: String?

  package init(id: Int, matches: [CompletionMatch], error: String? = nil) {
    self.id = id
    self.matches = matches
    self.error = error
  }
}

/// `swift-kernel sourcekit`: reads `CompletionQuery` frames on stdin and answers each with a
/// `CompletionAnswer` frame on stdout, from the toolchain's SourceKit. SourceKit keeps the compiled
/// imports between requests whose arguments and text outside the function body are the same (its
/// "fast completion"), so completions in the same context cost milliseconds.
package enum CompletionServer {
  package static func main(library: String) -> Never {
    signal(SIGPIPE, SIG_IGN)
    let kit: SourceKitD
    do {
      kit = try SourceKitD(path: library)
    } catch {
      // The kernel reads the reason in the first answer and keeps its own names.
      while let query = PipeFraming.read(CompletionQuery.self, from: 0) {
        PipeFraming.write(CompletionAnswer(id: query.id, matches: [], error: "\(error)"), to: 1)
      }
      exit(0)
    }
    while let query = PipeFraming.read(CompletionQuery.self, from: 0) {
      let answer: CompletionAnswer
      do {
        answer = CompletionAnswer(id: query.id, matches: try complete(query, with: kit))
      } catch {
        answer = CompletionAnswer(id: query.id, matches: [], error: "\(error)")
      }
      guard PipeFraming.write(answer, to: 1) else { break }
    }
    exit(0)
  }

  static let limit = 300

  static func complete(_ query: CompletionQuery, with kit: SourceKitD) throws -> [CompletionMatch] {
    let prefix = Array(query.prefix.utf8)
    return try kit.send([
      ("key.request", .uid("source.request.codecomplete")),
      ("key.sourcefile", .string(query.file)),
      ("key.sourcetext", .string(query.text)),
      ("key.offset", .int(Int64(query.offset))),
      ("key.compilerargs", .strings(query.arguments + [query.file])),
      // Initialisers at the top level too, so that `Poi` offers `Point(x: , y: )`.
      ("key.codecomplete.options", .dictionary([("key.codecomplete.addinitstotoplevel", .int(1))])),
    ]) { response in
      var ranked: [(rank: Int, match: CompletionMatch)] = []
      var index: [String: Int] = [:]
      var signatures: [String: [String]] = [:]
      /// Texts that stand for a type's initialisers: their signatures, not the type's name, are listed.
      var initialised = Set<String>()
      for result in response.array("key.results") where result.string("key.name", hasPrefix: prefix) {
        guard let name = result.string("key.name") else { continue }
        if name.hasPrefix("_") && !query.prefix.hasPrefix("_") { continue }
        // Cells are compiled inside a free function: there is no `self`, and `.self` is never wanted.
        if name == "self" { continue }
        let kind = result.uid("key.kind") ?? ""
        let source = result.string("key.sourcetext") ?? name
        let isConstructor = kind.hasSuffix(".constructor")
        let text = typeable(source: source, isConstructor: isConstructor)
        guard !text.isEmpty else { continue }
        let type = result.string("key.typename") ?? ""
        let isCall = kind.contains(".function.") || isConstructor
        let signature =
          isCall
          ? Self.signature(
            source: source, description: result.string("key.description") ?? name, type: isConstructor ? "" : type)
          : type
        let rank = rank(context: result.uid("key.context") ?? "")
        // One match per text a user can type on: `fit(` for every overload of `fit`, `FashionMNIST` for the
        // type and its initialisers, whose signatures the metadata lists, one a line.
        if let at = index[text] {
          ranked[at].rank = min(ranked[at].rank, rank)
          if isConstructor && !initialised.contains(text) {
            initialised.insert(text)
            signatures[text] = []
          }
          if !signature.isEmpty, isConstructor || !initialised.contains(text), !signatures[text]!.contains(signature) {
            signatures[text]!.append(signature)
          }
          continue
        }
        if isConstructor { initialised.insert(text) }
        index[text] = ranked.count
        signatures[text] = signature.isEmpty ? [] : [signature]
        ranked.append(
          (
            rank,
            CompletionMatch(
              text: text, kind: isConstructor ? "class" : jupyterKind(kind), signature: "",
              erase: Int(result.int("key.num_bytes_to_erase")))
          ))
      }
      for at in ranked.indices {
        ranked[at].match.signature = signatures[ranked[at].match.text]!.joined(separator: "\n")
      }
      ranked.sort {
        ($0.rank, $0.match.text.lowercased(), $0.match.text) < ($1.rank, $1.match.text.lowercased(), $1.match.text)
      }
      return ranked.prefix(limit).map(\.match)
    }
  }

  /// What a user can type on from SourceKit's text: a call without arguments whole (`uppercased()`),
  /// one with arguments up to its parenthesis (`fit(`), an initialiser as its type's name
  /// (`FashionMNIST`); never empty placeholders (`<#T##Int#>`), which would not compile.
  static func typeable(source: String, isConstructor: Bool) -> String {
    if isConstructor { return String(source.prefix { $0 != "(" }) }
    guard let placeholder = source.range(of: "<#") else { return source }
    let before = source[..<placeholder.lowerBound]
    if let open = before.firstIndex(of: "(") { return String(before[...open]) }
    return String(before.prefix { $0 != " " && $0 != "{" })
  }

  /// A call's parameters with their argument labels as a caller writes them (`_ batch: Batch` for an
  /// unlabelled one, which SourceKit's description shows as `batch: Batch`), its effects and result type:
  /// `(_ yHat: Tensor, averaged: Bool) throws -> Tensor`.
  static func signature(source: String, description: String, type: String) -> String {
    var parameters: [String] = []
    var rest = Substring(source)
    while let open = rest.range(of: "<#") {
      guard let close = rest[open.upperBound...].range(of: "#>") else { break }
      var inside = rest[open.upperBound..<close.lowerBound]
      if inside.hasPrefix("T##") { inside = inside.dropFirst(3) }
      let shown = inside.components(separatedBy: "##").first ?? String(inside)
      let lead = rest[..<open.lowerBound]
      let labelled = lead.hasSuffix(": ")
      if labelled {
        let label = lead.dropLast(2).reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed()
        parameters.append("\(String(label)): \(shown)")
      } else {
        parameters.append("_ \(shown)")
      }
      rest = rest[close.upperBound...]
    }
    // What follows the parameter list in the description: `throws`, `async`.
    var depth = 0
    var effects = ""
    if let open = description.firstIndex(of: "(") {
      for index in description[open...].indices {
        if description[index] == "(" { depth += 1 }
        if description[index] == ")" {
          depth -= 1
          if depth == 0 {
            effects = String(description[description.index(after: index)...])
            break
          }
        }
      }
    }
    let result = type.isEmpty || type == "Void" ? "" : " -> " + type
    return "(" + parameters.joined(separator: ", ") + ")" + effects + result
  }

  /// Nearer first: what the expression expects, locals, the type's own members, then farther away.
  static func rank(context: String) -> Int {
    let order = ["exprspecific", "local", "thisclass", "superclass", "thismodule", "othermodule"]
    return order.firstIndex { context.hasSuffix("." + $0) } ?? order.count
  }

  /// SourceKit's declaration kinds in IPython's words (what JupyterLab shows beside a match).
  static func jupyterKind(_ kind: String) -> String {
    if kind.contains(".decl.function.") { return "function" }
    if kind.contains(".decl.var.instance") || kind.contains(".decl.var.static") || kind.contains(".decl.var.class") {
      return "property"
    }
    if kind.contains(".decl.var.") || kind.contains(".decl.enumelement") { return "instance" }
    for type in [
      ".decl.struct", ".decl.class", ".decl.enum", ".decl.protocol", ".decl.typealias", ".decl.generic_type_param",
      ".decl.associatedtype",
    ]
    where kind.contains(type) {
      return "class"
    }
    if kind.hasSuffix(".keyword") || kind.contains(".keyword.") { return "keyword" }
    if kind.contains(".decl.module") { return "module" }
    return "statement"
  }
}
