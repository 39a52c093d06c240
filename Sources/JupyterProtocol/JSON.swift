import Foundation

/// A JSON value: what travels in Jupyter message frames and `.ipynb` files.
package enum JSON: Sendable, Equatable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSON])
  case object([String: JSON])

  package subscript(key: String) -> JSON? {
    get { if case .object(let o) = self { return o[key] } else { return nil } }
    set {
      guard case .object(var o) = self else { return }
      o[key] = newValue
      self = .object(o)
    }
  }

  package var string: String? { if case .string(let s) = self { s } else { nil } }
  package var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
  package var int: Int? {
    switch self {
    case .int(let i): i
    case .double(let d) where d == d.rounded() && abs(d) < 1e15: Int(d)
    default: nil
    }
  }
  package var double: Double? {
    switch self {
    case .int(let i): Double(i)
    case .double(let d): d
    default: nil
    }
  }
  package var array: [JSON]? { if case .array(let a) = self { a } else { nil } }
  package var object: [String: JSON]? { if case .object(let o) = self { o } else { nil } }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
  ExpressibleByFloatLiteral
{
  package init(stringLiteral value: String) { self = .string(value) }
  package init(integerLiteral value: Int) { self = .int(value) }
  package init(floatLiteral value: Double) { self = .double(value) }
  package init(booleanLiteral value: Bool) { self = .bool(value) }
  package init(arrayLiteral elements: JSON...) { self = .array(elements) }
  package init(dictionaryLiteral elements: (String, JSON)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
  package init(nilLiteral: ()) { self = .null }
}

extension JSON: Codable {
  package init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      // Foundation reads "3.0" and "1e2" as Int, but not "1900719752990719925.5", whose Double is as whole: one
      // rule for both (a whole number within Int's range is `.int`), or that value written and read back changes.
      self = Int(exactly: d).map(JSON.int) ?? .double(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSON].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSON].self))
    }
  }

  package func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .int(let i): try c.encode(i)
    case .double(let d): try c.encode(d)
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    }
  }
}

package struct JSONParseError: Error, CustomStringConvertible {
  package var description: String
}

extension JSON {
  /// Parses UTF-8 JSON text; a malformed document is a `JSONParseError` naming the problem.
  package init(parsing data: Data) throws {
    do { self = try JSONDecoder().decode(JSON.self, from: data) } catch {
      throw JSONParseError(description: "invalid JSON: \(error)")
    }
  }

  package init(parsing text: String) throws { try self.init(parsing: Data(text.utf8)) }

  /// Compact JSON text with keys sorted, so equal values serialise to equal bytes.
  package var serialized: String {
    var out = ""
    write(to: &out, indent: nil, level: 0)
    return out
  }

  /// Indented JSON text (nbformat files use one space per level).
  package func pretty(indent: Int = 1) -> String {
    var out = ""
    write(to: &out, indent: indent, level: 0)
    return out
  }

  private func write(to out: inout String, indent: Int?, level: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d):
      if d.isFinite { out += d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) + ".0" : "\(d)" } else { out += "null" }
    case .string(let s): JSON.writeEscaped(s, to: &out)
    case .array(let a):
      if a.isEmpty {
        out += "[]"
        return
      }
      out += "["
      for (i, v) in a.enumerated() {
        if i > 0 { out += "," }
        JSON.newline(&out, indent, level + 1)
        v.write(to: &out, indent: indent, level: level + 1)
      }
      JSON.newline(&out, indent, level)
      out += "]"
    case .object(let o):
      if o.isEmpty {
        out += "{}"
        return
      }
      out += "{"
      for (i, key) in o.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        JSON.newline(&out, indent, level + 1)
        JSON.writeEscaped(key, to: &out)
        out += indent == nil ? ":" : ": "
        o[key]!.write(to: &out, indent: indent, level: level + 1)
      }
      JSON.newline(&out, indent, level)
      out += "}"
    }
  }

  private static func newline(_ out: inout String, _ indent: Int?, _ level: Int) {
    guard let indent else { return }
    out += "\n" + String(repeating: " ", count: indent * level)
  }

  private static func writeEscaped(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        out +=
          "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count)
          + String(c.value, radix: 16)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
