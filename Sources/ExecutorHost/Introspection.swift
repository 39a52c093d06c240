import CellCompiler
import Foundation
import JupyterProtocol
import Kernel
import SourceKitCompletion

// Completion and inspection: declarations from the names in scope (see `NameIndex`), a variable's
// type and value from the executor.
extension ExecutorHost {
  package func complete(_ code: String, cursor: Int) -> Completion {
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(cursor, 0), scalars.count)
    var start = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
    if let magics = magicCompletion(scalars, start: start, cursor: cursor, prefix: prefix) { return magics }
    let afterDot = start > 0 && scalars[start - 1] == "."
    let known = names.completions(prefix: prefix, afterDot: afterDot)
    guard let found = sourceKitCompletions(code, start: start, prefix: prefix, afterDot: afterDot) else {
      return Completion(matches: known, cursorStart: start, cursorEnd: cursor)
    }
    // SourceKit sees the cells this one uses; names of the others are still offered after its own.
    var matches = found
    if !afterDot {
      // …unless SourceKit offered the name already, as a call (`learn()`) or as it is.
      let offered = Set(found.map { String($0.text.prefix { $0 != "(" }) })
      matches += known.filter { !offered.contains($0) }.map {
        CompletionMatch(text: $0, kind: "instance", signature: "")
      }
    }
    // A match that replaces text before the identifier too (`?.x` for the `.` of `value.`).
    let erase = min(matches.map(\.erase).max() ?? 0, start)
    let from = start - erase
    let types: [JSON] = matches.map { match in
      [
        "start": .int(start - min(match.erase, start)), "end": .int(cursor), "text": .string(match.text),
        "type": .string(match.kind), "signature": .string(match.signature),
      ]
    }
    let texts = matches.map { match -> String in
      // Matches that erase less than the widest keep the text between.
      let kept = String(String.UnicodeScalarView(scalars[from..<(start - min(match.erase, start))]))
      return kept + match.text
    }
    return Completion(
      matches: texts, cursorStart: from, cursorEnd: cursor, metadata: ["_jupyter_types_experimental": .array(types)])
  }

  /// SourceKit's completions at `start` (the start of the identifier being typed), with the cell seen
  /// as the next cell would be compiled: inside a function body after its imports, so that SourceKit
  /// reuses the imported modules from one request to the next. nil when SourceKit cannot answer, or a
  /// cell is running.
  private func sourceKitCompletions(_ code: String, start: Int, prefix: String, afterDot: Bool) -> [CompletionMatch]? {
    guard work.try() else { return nil }
    defer { work.unlock() }
    // Magics and `import` lines are blank: neither belongs in a function body.
    var lines = Magics.swiftOnly(code).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for index in lines.indices where lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("import ") {
      lines[index] = String(repeating: " ", count: lines[index].unicodeScalars.count)
    }
    let body = Array(lines.joined(separator: "\n").unicodeScalars)
    let context = compiler.completionContext(for: code, prefix: afterDot ? "" : prefix)
    let opening = context.imports.joined(separator: "\n") + "\nfunc __completion() {\n"
    let before = String(String.UnicodeScalarView(body[..<min(start, body.count)]))
    let text = opening + String(String.UnicodeScalarView(body)) + "\n}\n"
    return completions.complete(
      file: compiler.workDirectory.appendingPathComponent("completion.swift").path, text: text,
      offset: opening.utf8.count + before.utf8.count, prefix: prefix, arguments: context.arguments)
  }

  /// `%ti` completes to `%time` and `%timeit`: a magic's name at the start of a line.
  private func magicCompletion(_ scalars: [Unicode.Scalar], start: Int, cursor: Int, prefix: String) -> Completion? {
    var percent = start
    while percent > 0, scalars[percent - 1] == "%" { percent -= 1 }
    let signs = start - percent
    guard signs == 1 || signs == 2, percent == 0 || scalars[percent - 1] == "\n" else { return nil }
    let names = (signs == 1 ? Magics.lineNames : Magics.cellNames).filter { $0.hasPrefix(prefix) }.sorted()
    return Completion(matches: names, cursorStart: start, cursorEnd: cursor)
  }

  package func inspect(_ code: String, cursor: Int, detailLevel: Int) -> Inspection? {
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(cursor, 0), scalars.count)
    var start = cursor
    var end = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, Self.isIdentifier(scalars[end]) { end += 1 }
    let name = String(String.UnicodeScalarView(scalars[start..<end]))
    guard !name.isEmpty else { return nil }
    var plain: [String] = []
    var markdown: [String] = []
    if let (type, value) = variable(named: name) {
      plain.append("Type: \(type)\nValue: \(value)")
      markdown.append("**\(name)**: `\(type)`\n\n```\n\(value)\n```")
      let base = String(type.prefix { $0 != "<" && $0 != "." })
      if let declared = names.lookup(name) {
        plain.append("Declared: \(declared.signature)")
        markdown.append("Declared:\n```swift\n\(declared.signature)\n```")
      }
      if let described = names.lookup(base), described.name != name {
        plain.append(Self.text(described))
        markdown.append(Self.markdown(described))
      }
    } else if let found = names.lookup(name) {
      plain.append(Self.text(found))
      markdown.append(Self.markdown(found))
    }
    guard !plain.isEmpty else { return nil }
    // detail_level 1 (`name??` in IPython): the source of a declaration the user wrote.
    if detailLevel >= 1, let found = names.lookup(name), !found.source.isEmpty {
      plain.append("Source:\n\(found.source)")
      markdown.append("Source:\n```swift\n\(found.source)\n```")
    }
    return Inspection(data: [
      "text/plain": plain.joined(separator: "\n\n"), "text/markdown": markdown.joined(separator: "\n\n"),
    ])
  }

  private static func text(_ found: IndexedName) -> String {
    found.documentation.isEmpty ? found.signature : found.signature + "\n\n" + found.documentation
  }

  private static func markdown(_ found: IndexedName) -> String {
    "```swift\n\(found.signature)\n```" + (found.documentation.isEmpty ? "" : "\n\n" + found.documentation)
  }

  /// A session variable's type and a short description of its value, read in the executor; nil when
  /// the name is no variable, or a cell is running (inspection never waits for one).
  private func variable(named name: String) -> (type: String, value: String)? {
    guard work.try() else { return nil }
    defer { work.unlock() }
    guard compiler.variables.contains(name) else { return nil }
    if let cached = inspected[name] { return cached }
    guard case .success(let compiled) = compile("__inspectValue(\(name))", label: 0) else { return nil }
    let silent = OutputSink(emit: { _ in }, readInput: { _, _ in nil })
    guard case .ok(let result?) = run(compiled, label: 0, allowStdin: false, output: silent).outcome,
      let text = result.data["text/plain"], let newline = text.firstIndex(of: "\n")
    else { return nil }
    let found = (String(text[..<newline]), String(text[text.index(after: newline)...]))
    inspected[name] = found
    return found
  }

  /// After a cell, the completion server (started once) loads what a completion will need.
  func prepareCompletion() {
    guard completions.needsPreparing else { return }
    let context = compiler.completionContext(for: "")
    let opening = context.imports.joined(separator: "\n") + "\nfunc __completion() {\n"
    completions.prepare(
      file: compiler.workDirectory.appendingPathComponent("completion.swift").path, text: opening + "0.\n}\n",
      offset: opening.utf8.count + 2, arguments: context.arguments)
  }

  static func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
  }
}
