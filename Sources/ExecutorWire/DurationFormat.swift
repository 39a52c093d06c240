import Foundation

/// Durations as IPython's `%time` and `%timeit` print them (`_format_time`): three significant digits
/// in s, ms, µs or ns, and `1min 5s` from a minute on. The kernel (`%time`) and the runtime
/// (`%timeit`) both print them, and this module is what the two share.
package enum DurationFormat {
  package static func string(_ seconds: Double, precision: Int = 3) -> String {
    if seconds >= 60 {
      var parts: [String] = []
      var left = seconds
      for (suffix, length) in [("d", 86_400.0), ("h", 3_600.0), ("min", 60.0), ("s", 1.0)] {
        let value = Int(left / length)
        if value > 0 {
          left = left.truncatingRemainder(dividingBy: length)
          parts.append("\(value)\(suffix)")
        }
        if left < 1 { break }
      }
      return parts.joined(separator: " ")
    }
    let units = ["s", "ms", "µs", "ns"]
    let order = seconds > 0 ? min(max(-Int((log10(seconds).rounded(.down) / 3).rounded(.down)), 0), 3) : 3
    let scaled = seconds * pow(1000, Double(order))
    return String(format: "%.\(precision)g", scaled) + " " + units[order]
  }
}
