import CellCompiler
import Foundation
import Kernel

// Completion and inspection from the names in scope (see `NameIndex`).
extension ExecutorHost {
  public func complete(_ code: String, cursor: Int) -> Completion {
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(cursor, 0), scalars.count)
    var start = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
    let afterDot = start > 0 && scalars[start - 1] == "."
    return Completion(
      matches: names.completions(prefix: prefix, afterDot: afterDot), cursorStart: start, cursorEnd: cursor)
  }

  public func inspect(_ code: String, cursor: Int, detailLevel: Int) -> Inspection? {
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(cursor, 0), scalars.count)
    var start = cursor
    var end = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, Self.isIdentifier(scalars[end]) { end += 1 }
    let name = String(String.UnicodeScalarView(scalars[start..<end]))
    guard !name.isEmpty, let found = names.lookup(name) else { return nil }
    let plain = found.documentation.isEmpty ? found.signature : found.signature + "\n\n" + found.documentation
    let markdown =
      "```swift\n\(found.signature)\n```" + (found.documentation.isEmpty ? "" : "\n\n" + found.documentation)
    return Inspection(data: ["text/plain": plain, "text/markdown": markdown])
  }

  static func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
  }
}
