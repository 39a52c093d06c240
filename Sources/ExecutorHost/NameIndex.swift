import CellCompiler
import Foundation
import ProcessSupport
import Synchronization

/// A name the user can complete or inspect, with what inspection shows.
struct IndexedName: Sendable {
  var name: String
  var signature: String
  var documentation: String
  /// Members (`Tensor.matmul`) complete after a dot; top-level names complete anywhere.
  var isMember: Bool
  /// The declaration as written in a cell (empty for the runtime's and the standard library's).
  var source = ""
}

/// The names in scope for completion and inspection: keywords, the standard library's common
/// names, the runtime's public API (from its symbol graph), and earlier cells' declarations. Cells are
/// learnt on the execution thread while completion reads on the dispatcher's, so both are locked.
final class NameIndex: Sendable {
  private let runtime = Mutex<[IndexedName]?>(nil)
  private let learnt = Mutex<[IndexedName]>([])

  init(runtimeModules: [String], toolchain: Toolchain, workDirectory: URL) {
    let thread = Thread {
      let names = Self.runtimeNames(modules: runtimeModules, toolchain: toolchain, workDirectory: workDirectory)
      self.runtime.withLock { $0 = names }
    }
    thread.name = "symbol-graph"
    thread.start()
  }

  /// Learns the declarations of a cell that compiled; newer ones come first.
  func learn(cell code: String) {
    let learnt = CellAnalysis.declarations(in: code).map {
      IndexedName(
        name: $0.name, signature: $0.signature, documentation: $0.documentation, isMember: false, source: $0.source)
    }
    self.learnt.withLock { $0.insert(contentsOf: learnt, at: 0) }
  }

  func forgetCells() { learnt.withLock { $0 = [] } }

  private var cells: [IndexedName] { learnt.withLock { $0 } }

  /// Waits briefly for the runtime's names (the symbol graph is read in the background at start).
  private var runtimeNames: [IndexedName] {
    for _ in 0..<100 {
      if let names = runtime.withLock({ $0 }) { return names }
      usleep(50_000)
    }
    return []
  }

  /// Names starting with `prefix`, sorted, without duplicates.
  func completions(prefix: String, afterDot: Bool) -> [String] {
    var names = Set<String>()
    if afterDot {
      for entry in runtimeNames where entry.isMember && entry.name.hasPrefix(prefix) { names.insert(entry.name) }
      for entry in cells where entry.name.hasPrefix(prefix) { names.insert(entry.name) }
    } else {
      for entry in cells where entry.name.hasPrefix(prefix) { names.insert(entry.name) }
      for entry in runtimeNames where !entry.isMember && entry.name.hasPrefix(prefix) { names.insert(entry.name) }
      for word in Self.keywords + Self.standardLibrary.keys where word.hasPrefix(prefix) { names.insert(word) }
    }
    names.remove("")
    return names.sorted { ($0.count, $0) < ($1.count, $1) }.filter { !$0.hasPrefix("_") || prefix.hasPrefix("_") }
  }

  /// The newest declaration of a name: earlier cells first, then the runtime, then the standard library.
  func lookup(_ name: String) -> IndexedName? {
    if let found = cells.first(where: { $0.name == name }) { return found }
    let runtime = runtimeNames
    if let found = runtime.first(where: { $0.name == name && !$0.isMember })
      ?? runtime.first(where: { $0.name == name })
    {
      return found
    }
    if let (signature, doc) = Self.standardLibrary[name] {
      return IndexedName(name: name, signature: signature, documentation: doc, isMember: false)
    }
    return nil
  }

  /// Reads the runtime's public symbols with `swift-symbolgraph-extract`.
  private static func runtimeNames(modules: [String], toolchain: Toolchain, workDirectory: URL) -> [IndexedName] {
    let output = workDirectory.appendingPathComponent("symbol-graph")
    try? FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    let tool = URL(fileURLWithPath: toolchain.frontend).deletingLastPathComponent().appendingPathComponent(
      "swift-symbolgraph-extract"
    ).path
    #if arch(x86_64)
      let target = "x86_64-unknown-linux-gnu"
    #else
      let target = "aarch64-unknown-linux-gnu"
    #endif
    var arguments = [
      "-module-name", "ClassificationRuntime", "-target", target, "-output-dir", output.path, "-minimum-access-level",
      "public",
    ]
    for path in modules { arguments += ["-I", path] }
    guard let result = try? Subprocess.run(tool, arguments), result.status == 0,
      let data = FileManager.default.contents(
        atPath: output.appendingPathComponent("ClassificationRuntime.symbols.json").path),
      let graph = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let symbols = graph["symbols"] as? [[String: Any]]
    else { return [] }
    var names: [IndexedName] = []
    for symbol in symbols {
      guard let path = symbol["pathComponents"] as? [String], let name = path.last else { continue }
      let base = name.split(separator: "(").first.map(String.init) ?? name
      let fragments = (symbol["declarationFragments"] as? [[String: Any]] ?? []).compactMap {
        $0["spelling"] as? String
      }
      let doc = ((symbol["docComment"] as? [String: Any])?["lines"] as? [[String: Any]] ?? [])
        .compactMap { $0["text"] as? String }.joined(separator: "\n")
      names.append(IndexedName(name: base, signature: fragments.joined(), documentation: doc, isMember: path.count > 1))
    }
    return names
  }

  static let keywords = [
    "let", "var", "func", "struct", "class", "enum", "protocol", "extension", "typealias", "import", "return",
    "if", "else", "guard", "switch", "case", "default", "for", "in", "while", "repeat", "break", "continue",
    "do", "try", "catch", "throw", "throws", "rethrows", "defer", "where", "as", "is", "nil", "true", "false",
    "self", "Self", "super", "init", "deinit", "subscript", "static", "private", "fileprivate", "internal",
    "public", "open", "final", "override", "mutating", "inout", "some", "any", "lazy", "weak", "unowned",
    "associatedtype", "operator", "async", "await", "actor",
  ]

  /// The standard library's most used names, with what `inspect` shows for them.
  static let standardLibrary: [String: (String, String)] = [
    "print": (
      "func print(_ items: Any..., separator: String = \" \", terminator: String = \"\\n\")",
      "Writes the textual representations of the given items into the standard output."
    ),
    "readLine": (
      "func readLine(strippingNewline: Bool = true) -> String?",
      "Returns a line read from the notebook's input box; nil when the client does not allow input."
    ),
    "min": ("func min<T: Comparable>(_ x: T, _ y: T) -> T", "Returns the lesser of two comparable values."),
    "max": ("func max<T: Comparable>(_ x: T, _ y: T) -> T", "Returns the greater of two comparable values."),
    "abs": ("func abs<T: Comparable & SignedNumeric>(_ x: T) -> T", "Returns the absolute value of the given number."),
    "zip": (
      "func zip<S1: Sequence, S2: Sequence>(_ s1: S1, _ s2: S2) -> Zip2Sequence<S1, S2>",
      "Creates a sequence of pairs built out of two underlying sequences."
    ),
    "stride": (
      "func stride<T: Strideable>(from start: T, to end: T, by stride: T.Stride) -> StrideTo<T>",
      "Returns a sequence from a starting value to, but not including, an end value, stepping by the specified amount."
    ),
    "type": ("func type<T, Metatype>(of value: T) -> Metatype", "Returns the dynamic type of a value."),
    "precondition": (
      "func precondition(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String())",
      "Checks a necessary condition for making forward progress."
    ),
    "fatalError": (
      "func fatalError(_ message: @autoclosure () -> String = String()) -> Never",
      "Unconditionally prints a given message and stops execution."
    ),
    "assert": (
      "func assert(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String())",
      "Performs a traditional C-style assert with an optional message."
    ),
    "Int": ("struct Int", "A signed integer value type."),
    "Double": ("struct Double", "A double-precision, floating-point value type."),
    "Float": ("struct Float", "A single-precision, floating-point value type."),
    "String": ("struct String", "A Unicode string value that is a collection of characters."),
    "Bool": ("struct Bool", "A value type whose instances are either true or false."),
    "Array": ("struct Array<Element>", "An ordered, random-access collection."),
    "Dictionary": ("struct Dictionary<Key: Hashable, Value>", "A collection whose elements are key-value pairs."),
    "Set": ("struct Set<Element: Hashable>", "An unordered collection of unique elements."),
    "Optional": ("enum Optional<Wrapped>", "A type that represents either a wrapped value or the absence of a value."),
    "Result": (
      "enum Result<Success, Failure: Error>",
      "A value that represents either a success or a failure, including an associated value in each case."
    ),
    "Character": (
      "struct Character", "A single extended grapheme cluster that approximates a user-perceived character."
    ),
    "Range": (
      "struct Range<Bound: Comparable>",
      "A half-open interval from a lower bound up to, but not including, an upper bound."
    ),
    "Error": ("protocol Error", "A type representing an error value that can be thrown."),
  ]
}
