import Foundation

/// `<Cell N>`: the file name a cell is compiled under, so its compile errors, traps and tracebacks name
/// the cell the user knows (its execution count). Written and read here only.
package struct CellLabel: Equatable, Sendable, CustomStringConvertible {
  package var number: Int

  package init(_ number: Int) { self.number = number }

  package var description: String { "<Cell \(number)>" }

  /// The first `<Cell N>` in `text` (a file name, a path, a symbolizer's line), with the `:line` and
  /// `:column` that may follow it.
  package static func first(in text: some StringProtocol) -> (label: CellLabel, line: Int?, column: Int?)? {
    var rest = Substring(text)
    while let start = rest.range(of: "<Cell ") {
      rest = rest[start.upperBound...]
      let digits = rest.prefix { $0.isASCII && $0.isNumber }
      guard let number = Int(digits), rest.dropFirst(digits.count).first == ">" else { continue }
      let numbers = rest.dropFirst(digits.count + 1).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        .dropFirst().map { Int($0.prefix { $0.isASCII && $0.isNumber }) }
      let line = numbers.first ?? nil
      return (CellLabel(number), line, line == nil ? nil : numbers.dropFirst().first ?? nil)
    }
    return nil
  }
}
