import ExecutorWire
import Kernel

/// One step of a cell that uses magics, in the order the cell gives them.
///
/// Swift code keeps its lines: the lines of other steps are blank in it, so compile errors and traps
/// name the cell's own line numbers.
enum CellStep: Equatable, Sendable {
  /// Swift code, compiled and run as a cell.
  case swift(String)
  /// `%time` / `%%time`: Swift code, run and timed (compile, wall and CPU time).
  case time(String)
  /// `%timeit` / `%%timeit`: Swift code compiled `-O` and run in timed loops.
  case timeit(String, number: Int, repeats: Int)
  /// `!command`, `%%bash`, `%%sh`: a shell command, its output streamed.
  case shell(String)
  /// `%%writefile [-a] FILE`: the cell's body written to a file.
  case writeFile(path: String, append: Bool, text: String)
  /// Any other known line magic, with the text after its name.
  case line(LineMagic, String)
}

enum LineMagic: String, CaseIterable, Sendable {
  case cd, env, include, install, lsmagic, opt, pwd, reset, who, whos
}

enum CellMagic: String, CaseIterable, Sendable {
  case bash, sh, time, timeit, writefile
}

/// A magic the kernel does not know, or one used wrongly: IPython's `UsageError`.
struct MagicUsageError: Error, Equatable {
  var message: String

  var cellError: CellError {
    CellError(name: "UsageError", value: message, traceback: ["UsageError: \(message)"])
  }
}

/// Splits a cell into Swift code and the IPython magics it uses (`%name …` and `!command` lines at the
/// start of a line, `%%name` on the first line for the whole cell). Lines inside a multi-line string
/// literal are Swift.
enum Magics {
  static let lineNames = ["time", "timeit"] + LineMagic.allCases.map(\.rawValue)
  static let cellNames = CellMagic.allCases.map(\.rawValue)

  /// `%lsmagic`'s text.
  static var listing: String {
    "Available line magics:\n" + lineNames.sorted().map { "%" + $0 }.joined(separator: "  ")
      + "  !command\n\nAvailable cell magics:\n" + cellNames.sorted().map { "%%" + $0 }.joined(separator: "  ")
  }

  /// The steps of a cell, or nil when it uses no magic (the common case: compiled as it is).
  static func steps(of code: String) throws(MagicUsageError) -> [CellStep]? {
    let lines = Self.lines(of: code)
    if let first = lines.first, first.hasPrefix("%%") {
      let first = first.hasSuffix("\r") ? String(first.dropLast()) : first
      return [try cellMagic(first, body: Array(lines.dropFirst()))]
    }
    var steps: [CellStep] = []
    var swiftLines: [Int] = []
    var inString = false
    func flush() {
      guard swiftLines.contains(where: { !lines[$0].allSatisfy(\.isWhitespace) }) else {
        swiftLines = []
        return
      }
      steps.append(.swift(keeping(lines, only: Set(swiftLines))))
      swiftLines = []
    }
    var sawMagic = false
    for (index, fullLine) in lines.enumerated() {
      // A cell with Windows line ends: the magic's arguments end before the "\r".
      let line = fullLine.hasSuffix("\r") ? String(fullLine.dropLast()) : fullLine
      let opensOrCloses = line.components(separatedBy: "\"\"\"").count - 1
      defer { if opensOrCloses % 2 == 1 { inString.toggle() } }
      guard !inString, line.hasPrefix("%") || line.hasPrefix("!") else {
        swiftLines.append(index)
        continue
      }
      sawMagic = true
      flush()
      if line.hasPrefix("!") {
        steps.append(.shell(String(line.dropFirst())))
        continue
      }
      let (name, arguments) = split(line.dropFirst())
      // The code of `%time` keeps its line and column (the magic's name becomes spaces); `%timeit`'s its
      // line (the call that wraps it comes first).
      let code = keeping(lines, only: [index], replacingPrefix: line.count - arguments.count)
      switch name {
      case "time": steps.append(.time(code))
      case "timeit":
        let (number, repeats, rest) = try timeitOptions(arguments)
        steps.append(.timeit(keeping(lines, only: [index], line: rest), number: number, repeats: repeats))
      default:
        guard let magic = LineMagic(rawValue: name) else {
          if line.hasPrefix("%%") {
            throw MagicUsageError(message: "a cell magic (\(line.prefix { $0 != " " })) must be the cell's first line")
          }
          if name.isEmpty { throw MagicUsageError(message: "a line starting with % needs a magic's name. " + known) }
          throw MagicUsageError(
            message: CellMagic(rawValue: name) != nil
              ? "%\(name) is a cell magic: write %%\(name) on the cell's first line"
              : "Line magic function `%\(name)` not found. " + known)
        }
        steps.append(.line(magic, arguments))
      }
    }
    guard sawMagic else { return nil }
    flush()
    return steps
  }

  static var known: String {
    "Known line magics: " + lineNames.sorted().map { "%" + $0 }.joined(separator: ", ") + ", !command; cell magics: "
      + cellNames.sorted().map { "%%" + $0 }.joined(separator: ", ") + " (%lsmagic lists them)."
  }

  private static func cellMagic(_ first: String, body: [String]) throws(MagicUsageError) -> CellStep {
    let (name, arguments) = split(first.dropFirst(2))
    // The body keeps its line numbers: the magic's line is blank.
    let code = ([""] + body).joined(separator: "\n")
    switch CellMagic(rawValue: name) {
    case .time: return .time(code)
    case .timeit:
      let (number, repeats, rest) = try timeitOptions(arguments)
      guard rest.allSatisfy(\.isWhitespace) else {
        throw MagicUsageError(message: "%%timeit takes its code from the cell's body, not from its first line")
      }
      return .timeit(code, number: number, repeats: repeats)
    case .bash, .sh: return .shell(body.joined(separator: "\n"))
    case .writefile:
      var words = arguments.split(separator: " ").map(String.init)
      let append = words.first == "-a"
      if append { words.removeFirst() }
      guard words.count == 1 else { throw MagicUsageError(message: "usage: %%writefile [-a] FILE") }
      return .writeFile(path: words[0], append: append, text: body.joined(separator: "\n") + "\n")
    case nil:
      throw MagicUsageError(
        message: LineMagic(rawValue: name) != nil
          ? "%%\(name) is not a cell magic; %\(name) is a line magic"
          : "Cell magic `%%\(name)` not found. " + known)
    }
  }

  /// `-n N` and `-r R` before the code, as IPython's `%timeit` takes them (0 loops: choose).
  private static func timeitOptions(_ text: String) throws(MagicUsageError) -> (Int, Int, String) {
    var number = 0
    var repeats = 7
    var rest = Substring(text)
    while true {
      let trimmed = rest.drop(while: { $0 == " " })
      guard trimmed.hasPrefix("-n") || trimmed.hasPrefix("-r") else { break }
      let option = trimmed.prefix(2)
      let afterOption = trimmed.dropFirst(2).drop(while: { $0 == " " })
      let digits = afterOption.prefix(while: \.isNumber)
      guard let value = Int(digits), value > 0 else {
        throw MagicUsageError(message: "%timeit \(option) needs a positive number")
      }
      if option == "-n" { number = value } else { repeats = value }
      rest = afterOption.dropFirst(digits.count)
    }
    let code = String(rest)
    // Keep the code's columns where they were on the line.
    return (number, repeats, String(repeating: " ", count: text.count - code.count) + code)
  }

  /// The cell's lines as the compiler counts them: split at every "\n". Splitting the `String` would keep a
  /// "\r\n" (one `Character`) inside a line, and every line number after it would be one too low.
  static func lines(of code: String) -> [String] {
    code.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String(Substring($0)) }
  }

  /// The magic's name and the text after it (one space dropped).
  private static func split(_ text: Substring) -> (String, String) {
    let name = text.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" })
    var rest = text.dropFirst(name.count)
    if rest.first == " " { rest = rest.dropFirst() }
    return (String(name), String(rest))
  }

  /// The cell's text with only `kept` lines left (the others blank), so line numbers stay the cell's.
  private static func keeping(_ lines: [String], only kept: Set<Int>, replacingPrefix: Int = 0) -> String {
    lines.enumerated().map { index, line in
      guard kept.contains(index) else { return "" }
      return replacingPrefix > 0
        ? String(repeating: " ", count: replacingPrefix) + line.dropFirst(replacingPrefix) : line
    }.joined(separator: "\n")
  }

  private static func keeping(_ lines: [String], only kept: Set<Int>, line replacement: String) -> String {
    lines.indices.map { kept.contains($0) ? replacement : "" }.joined(separator: "\n")
  }

  /// The cell with its magic lines blank, for `is_complete` and completion.
  static func swiftOnly(_ code: String) -> String {
    guard let steps = try? steps(of: code) else { return code }
    var lines = Self.lines(of: code).map { _ in "" }
    for step in steps {
      let swift: String
      switch step {
      case .swift(let code), .time(let code), .timeit(let code, _, _): swift = code
      default: continue
      }
      for (index, line) in Self.lines(of: swift).enumerated() where !line.isEmpty {
        lines[index] = line
      }
    }
    return lines.joined(separator: "\n")
  }
}
