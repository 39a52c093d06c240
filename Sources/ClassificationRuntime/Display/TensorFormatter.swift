internal import Foundation

/// Text for a tensor: its shape, then its values with rows aligned, long dimensions elided.
enum TensorFormatter {
  static let edgeItems = 3
  static let threshold = 1000

  static func text(_ t: Tensor) -> String {
    let header = "Tensor(shape: \(t.shape), dtype: Float32\(t.requiresGrad ? ", requiresGrad" : ""))"
    if t.rank == 0 { return "\(header)\n\(format(t.scalars[0]))" }
    let elide = t.count > threshold
    let width = t.scalars.prefix(10_000).map { format($0).count }.max() ?? 1
    var lines: [String] = []
    render(t, dimension: 0, offset: 0, indent: 0, elide: elide, width: width, into: &lines)
    return header + "\n" + lines.joined(separator: "\n")
  }

  static func format(_ v: Float) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    if v == v.rounded() && Swift.abs(v) < 1e7 { return String(format: "%.1f", v) }
    if Swift.abs(v) >= 1e-4 && Swift.abs(v) < 1e6 { return String(format: "%.4f", v) }
    return String(format: "%.4e", v)
  }

  private static func indices(_ n: Int, elide: Bool) -> [Int?] {
    guard elide && n > 2 * edgeItems else { return (0..<n).map { $0 } }
    return (0..<edgeItems).map { $0 } + [nil] + ((n - edgeItems)..<n).map { $0 }
  }

  private static func render(
    _ t: Tensor, dimension: Int, offset: Int, indent: Int, elide: Bool, width: Int, into lines: inout [String]
  ) {
    let stride = t.shape[(dimension + 1)...].reduce(1, *)
    let pad = String(repeating: " ", count: indent)
    if dimension == t.rank - 1 {
      let items = indices(t.shape[dimension], elide: elide).map { i in
        i.map {
          String(repeating: " ", count: max(0, width - format(t.scalars[offset + $0]).count))
            + format(t.scalars[offset + $0])
        } ?? "..."
      }
      lines.append(pad + "[" + items.joined(separator: ", ") + "]")
      return
    }
    lines.append(pad + "[")
    for i in indices(t.shape[dimension], elide: elide) {
      if let i {
        render(
          t, dimension: dimension + 1, offset: offset + i * stride, indent: indent + 1, elide: elide, width: width,
          into: &lines)
      } else {
        lines.append(pad + " ...")
      }
    }
    lines.append(pad + "]")
  }
}
