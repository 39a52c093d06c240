import CellCompiler
import Foundation
import Kernel

// Completion and inspection: declarations from the names in scope (see `NameIndex`), a variable's
// type and value from the executor.
extension ExecutorHost {
  public func complete(_ code: String, cursor: Int) -> Completion {
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(cursor, 0), scalars.count)
    var start = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
    if let magics = magicCompletion(scalars, start: start, cursor: cursor, prefix: prefix) { return magics }
    let afterDot = start > 0 && scalars[start - 1] == "."
    return Completion(
      matches: names.completions(prefix: prefix, afterDot: afterDot), cursorStart: start, cursorEnd: cursor)
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

  public func inspect(_ code: String, cursor: Int, detailLevel: Int) -> Inspection? {
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
    guard case .ok(let result?) = run(compiled, label: 0, allowStdin: false, output: silent),
      let text = result.data["text/plain"], let newline = text.firstIndex(of: "\n")
    else { return nil }
    let found = (String(text[..<newline]), String(text[text.index(after: newline)...]))
    inspected[name] = found
    return found
  }

  static func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
  }
}
