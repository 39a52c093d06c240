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
  /// What is inserted: the name, with a call's argument labels (`combinations(ofCount: )`).
  package var text: String
  /// IPython's kinds for `_jupyter_types_experimental`: function, property, instance, class, module,
  /// keyword, statement.
  package var kind: String
  /// The Swift type: a property's type, a function's `(labels) -> result`.
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
      var seen = Set<String>()
      for result in response.array("key.results") where result.string("key.name", hasPrefix: prefix) {
        guard let name = result.string("key.name") else { continue }
        if name.hasPrefix("_") && !query.prefix.hasPrefix("_") { continue }
        let kind = result.uid("key.kind") ?? ""
        let text = insertion(source: result.string("key.sourcetext") ?? name)
        guard !text.isEmpty, seen.insert(text).inserted else { continue }
        let type = result.string("key.typename") ?? ""
        let description = result.string("key.description") ?? name
        let signature =
          kind.contains(".function.") || kind.hasSuffix(".constructor")
          ? String(description.drop(while: { $0 != "(" })) + (type.isEmpty || type == "Void" ? "" : " -> " + type)
          : type
        ranked.append(
          (
            rank(context: result.uid("key.context") ?? ""),
            CompletionMatch(
              text: text, kind: jupyterKind(kind), signature: String(signature),
              erase: Int(result.int("key.num_bytes_to_erase")))
          ))
      }
      ranked.sort {
        ($0.rank, $0.match.text.lowercased(), $0.match.text) < ($1.rank, $1.match.text.lowercased(), $1.match.text)
      }
      return ranked.prefix(limit).map(\.match)
    }
  }

  /// SourceKit's text to insert with its placeholders (`<#T##Int#>`) left empty.
  static func insertion(source: String) -> String {
    var text = ""
    var rest = Substring(source)
    while let open = rest.range(of: "<#") {
      text += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].range(of: "#>") else { return text }
      rest = rest[close.upperBound...]
    }
    return text + rest
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
