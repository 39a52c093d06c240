import CellCompiler
import Foundation
import JupyterProtocol

extension Kernel {
  func completeReply(_ content: JSON) -> JSON {
    let code = content["code"]?.string ?? ""
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(content["cursor_pos"]?.int ?? scalars.count, 0), scalars.count)
    var start = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
    let afterDot = start > 0 && scalars[start - 1] == "."
    let matches = names.completions(prefix: prefix, afterDot: afterDot)
    return [
      "status": "ok", "matches": .array(matches.map(JSON.string)), "cursor_start": .int(start), "cursor_end": .int(cursor),
      "metadata": [:],
    ]
  }

  func inspectReply(_ content: JSON) -> JSON {
    let code = content["code"]?.string ?? ""
    let scalars = Array(code.unicodeScalars)
    let cursor = min(max(content["cursor_pos"]?.int ?? scalars.count, 0), scalars.count)
    var start = cursor, end = cursor
    while start > 0, Self.isIdentifier(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, Self.isIdentifier(scalars[end]) { end += 1 }
    let name = String(String.UnicodeScalarView(scalars[start..<end]))
    guard !name.isEmpty, let found = names.lookup(name) else {
      return ["status": "ok", "found": false, "data": [:], "metadata": [:]]
    }
    let plain = found.documentation.isEmpty ? found.signature : found.signature + "\n\n" + found.documentation
    let markdown = "```swift\n\(found.signature)\n```" + (found.documentation.isEmpty ? "" : "\n\n" + found.documentation)
    return [
      "status": "ok", "found": true, "data": ["text/plain": .string(plain), "text/markdown": .string(markdown)],
      "metadata": [:],
    ]
  }

  static func isIdentifier(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
  }
}

extension Completeness {
  var json: JSON {
    switch self {
    case .incomplete(let indent): ["status": "incomplete", "indent": .string(indent)]
    default: ["status": .string(status)]
    }
  }
}
