internal import Foundation

internal import ExecutorWire

#if canImport(Glibc)
  internal import Glibc
#endif

// What the kernel's magics compile into cells: `%timeit`, `%who`/`%whos`, and the value half of
// inspecting a variable. The kernel writes the calls; users need not.

/// `%timeit`: runs `body` `number` times per run (0: the first of 1, 10, 100, … loops that takes at
/// least 0.2 s, as IPython chooses), `repeats` runs, and prints IPython's line:
/// `12.3 µs ± 45.6 ns per loop (mean ± std. dev. of 7 runs, 10,000 loops each)`.
/// An interrupt ends it at the next loop.
public func __timeit<T>(number: Int = 0, repeats: Int = 7, _ body: () throws -> T) throws {
  func seconds(_ loops: Int) throws -> Double {
    let start = monotonicSeconds()
    for _ in 0..<loops {
      consume(try body())
      if StopRequest.isRequested { break }
    }
    return monotonicSeconds() - start
  }
  var loops = number
  if loops == 0 {
    for power in 0..<10 {
      loops = Int(pow(10, Double(power)))
      if try seconds(loops) >= 0.2 || StopRequest.isRequested { break }
    }
  }
  var perLoop: [Double] = []
  for _ in 0..<repeats {
    if StopRequest.isRequested { return }
    perLoop.append(try seconds(loops) / Double(loops))
  }
  if StopRequest.isRequested { return }
  // IPython's warning when the runs differ a lot.
  if let best = perLoop.min(), let worst = perLoop.max(), best > 0, worst > 4 * best, worst > 1e-6 {
    print(
      "The slowest run took \(String(format: "%.2f", worst / best)) times longer than the fastest. "
        + "This could mean that an intermediate result is being cached.")
  }
  print(timeitLine(perLoop: perLoop, loops: loops))
}

/// IPython's `TimeitResult` text; the deviation is the population's, as IPython's.
func timeitLine(perLoop: [Double], loops: Int) -> String {
  let mean = perLoop.reduce(0, +) / Double(perLoop.count)
  let deviation = (perLoop.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(perLoop.count)).squareRoot()
  let runs = perLoop.count
  // Thousands grouped with commas, as Python's `{:,}`.
  let digits = Array(String(loops))
  let grouped = String(
    digits.enumerated().flatMap { index, digit in
      index > 0 && (digits.count - index) % 3 == 0 ? [",", digit] : [digit]
    })
  return "\(DurationFormat.string(mean)) ± \(DurationFormat.string(deviation)) per loop "
    + "(mean ± std. dev. of \(runs) run\(runs == 1 ? "" : "s"), \(grouped) loop\(loops == 1 ? "" : "s") each)"
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

func monotonicSeconds() -> Double {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A value's type as a user reads it: `FashionMNIST`, `Array<Int>`, without module names.
func typeName(of value: Any) -> String { String(describing: type(of: value)) }

/// A value on one short line: the first line of its description, cut at `limit` characters.
func shortDescription(of value: Any, limit: Int = 60) -> String {
  var text = (value as? String).map { String(reflecting: $0) } ?? String(describing: value)
  var cut = false
  if let newline = text.firstIndex(of: "\n") {
    text = String(text[..<newline])
    cut = true
  }
  if text.count > limit {
    text = String(text.prefix(limit - 1))
    cut = true
  }
  return cut ? text + "…" : text
}

/// `%who` (`detailed: false`): the names, tab-separated, as IPython prints them; `%whos`: a table of
/// names, types and values, as text and as HTML. `types` keeps only values of those type names.
public func __who(_ names: [String], _ values: [Any], detailed: Bool, types: [String] = []) {
  var rows = zip(names, values).map { (name: $0, type: typeName(of: $1), value: $1) }
  if !types.isEmpty { rows = rows.filter { types.contains($0.type) } }
  rows.sort { $0.name < $1.name }
  guard !rows.isEmpty else {
    print(types.isEmpty ? "Interactive namespace is empty." : "No variables match your requested type.")
    return
  }
  guard detailed else {
    print(rows.map(\.name).joined(separator: "\t"))
    return
  }
  let table = rows.map { [$0.name, $0.type, shortDescription(of: $0.value)] }
  let header = ["Variable", "Type", "Data/Info"]
  let widths = (0..<3).map { column in max(header[column].count, table.map { $0[column].count }.max() ?? 0) }
  func line(_ cells: [String]) -> String {
    cells.enumerated().map {
      $0.offset == 2 ? $0.element : $0.element.padding(toLength: widths[$0.offset] + 3, withPad: " ", startingAt: 0)
    }
    .joined()
  }
  let text = ([line(header), String(repeating: "-", count: widths[0] + widths[1] + 6 + widths[2])] + table.map(line))
    .joined(separator: "\n")
  func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
  let html =
    "<table><thead><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
    + table.map { "<tr>" + $0.map { "<td><code>\(escape($0))</code></td>" }.joined() + "</tr>" }.joined()
    + "</tbody></table>"
  display(["text/plain": text, "text/html": html])
}

/// Inspecting a variable: its type and the start of its description, as the cell's value
/// (`type` on the first line, then up to 20 lines of description).
public func __inspectValue(_ value: Any) -> __InspectedValue {
  let description = (value as? String).map { String(reflecting: $0) } ?? String(describing: value)
  var lines = description.split(separator: "\n", omittingEmptySubsequences: false).prefix(21).map(String.init)
  if lines.count == 21 { lines[20] = "…" }
  return __InspectedValue(text: typeName(of: value) + "\n" + lines.joined(separator: "\n"))
}

/// The value `__inspectValue` returns: shown as plain text, without quotes.
public struct __InspectedValue: CustomStringConvertible {
  public var description: String { text }
  let text: String
}
