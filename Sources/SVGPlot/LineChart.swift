#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A line chart rendered to standalone SVG 1.1: axes with ticks at round numbers, axis labels, a legend
/// beside the plot (so it never covers a curve), line styles, linear or log scales.
package struct LineChart: Sendable {
  package enum LineStyle: String, Sendable, CaseIterable {
    case solid, dashed, dashDot, dotted

    /// The SVG `stroke-dasharray`, nil for solid.
    var dashArray: String? {
      switch self {
      case .solid: nil
      case .dashed: "6,4"
      case .dashDot: "7,3,2,3"
      case .dotted: "2,3"
      }
    }
  }

  package enum Scale: Sendable { case linear, log }

  package struct Series: Sendable {
    package var label: String
    package var points: [(x: Double, y: Double)]
    package var color: String
    package var style: LineStyle

    package init(label: String, points: [(x: Double, y: Double)], color: String, style: LineStyle = .solid) {
      (self.label, self.points, self.color, self.style) = (label, points, color, style)
    }
  }

  /// Matplotlib's default colour cycle (C0, C1, …).
  package static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]

  package var series: [Series]
  package var xLabel: String
  package var yLabel: String?
  package var title: String?
  package var xScale = Scale.linear
  package var yScale = Scale.linear
  /// Fixed limits; automatic (from the data, widened to round numbers) when nil.
  package var xLimits: (Double, Double)?
  package var yLimits: (Double, Double)?
  /// Size in user units; the SVG scales to the notebook's width through its viewBox.
  package var width = 600.0
  package var height = 360.0

  package init(series: [Series], xLabel: String = "", yLabel: String? = nil, title: String? = nil) {
    (self.series, self.xLabel, self.yLabel, self.title) = (series, xLabel, yLabel, title)
  }

  package func svg() -> String {
    let legendWidth = series.isEmpty ? 0 : 24 + 7.0 * Double(series.map(\.label.count).max() ?? 0) + 28
    let left = 62.0
    let right = 16 + legendWidth
    let top = title == nil ? 16.0 : 36.0
    let bottom = 50.0
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    let (xRange, xTicks) = axis(values: series.flatMap { $0.points.map(\.x) }, limits: xLimits, scale: xScale)
    let (yRange, yTicks) = axis(values: series.flatMap { $0.points.map(\.y) }, limits: yLimits, scale: yScale)
    func px(_ x: Double) -> Double { left + plotWidth * fraction(x, xRange, xScale) }
    func py(_ y: Double) -> Double { top + plotHeight * (1 - fraction(y, yRange, yScale)) }

    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" width="\(svgNumber(width))" height="\(svgNumber(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
      <rect x="0" y="0" width="\(svgNumber(width))" height="\(svgNumber(height))" fill="#ffffff"/>

      """
    if let title {
      out +=
        "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(xmlEscaped(title))</text>\n"
    }
    // Grid and ticks.
    for t in xTicks {
      let x = px(t)
      out +=
        "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(top))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(top + plotHeight))\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>\n"
      out +=
        "<line x1=\"\(svgNumber(x))\" y1=\"\(svgNumber(top + plotHeight))\" x2=\"\(svgNumber(x))\" y2=\"\(svgNumber(top + plotHeight + 5))\" stroke=\"#333333\"/>\n"
      out += "<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(top + plotHeight + 18))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
    }
    for t in yTicks {
      let y = py(t)
      out +=
        "<line x1=\"\(svgNumber(left))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(left + plotWidth))\" y2=\"\(svgNumber(y))\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>\n"
      out += "<line x1=\"\(svgNumber(left - 5))\" y1=\"\(svgNumber(y))\" x2=\"\(svgNumber(left))\" y2=\"\(svgNumber(y))\" stroke=\"#333333\"/>\n"
      out += "<text x=\"\(svgNumber(left - 8))\" y=\"\(svgNumber(y + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
    }
    out +=
      "<rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\" fill=\"none\" stroke=\"#333333\"/>\n"
    out +=
      "<text x=\"\(svgNumber(left + plotWidth / 2))\" y=\"\(svgNumber(height - 12))\" text-anchor=\"middle\">\(xmlEscaped(xLabel))</text>\n"
    if let yLabel {
      out +=
        "<text x=\"16\" y=\"\(svgNumber(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(svgNumber(top + plotHeight / 2)))\">\(xmlEscaped(yLabel))</text>\n"
    }
    // Curves, clipped to the plot area.
    out +=
      "<clipPath id=\"plot-area\"><rect x=\"\(svgNumber(left))\" y=\"\(svgNumber(top))\" width=\"\(svgNumber(plotWidth))\" height=\"\(svgNumber(plotHeight))\"/></clipPath>\n"
    for s in series where !s.points.isEmpty {
      let points = s.points.filter {
        $0.x.isFinite && $0.y.isFinite && (xScale == .linear || $0.x > 0) && (yScale == .linear || $0.y > 0)
      }
      let path = points.map { "\(svgNumber(px($0.x))),\(svgNumber(py($0.y)))" }.joined(separator: " ")
      let dash = s.style.dashArray.map { " stroke-dasharray=\"\($0)\"" } ?? ""
      out +=
        "<polyline class=\"series\" data-label=\"\(xmlEscaped(s.label))\" points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash) clip-path=\"url(#plot-area)\"/>\n"
      if points.count == 1, let p = points.first {
        out += "<circle cx=\"\(svgNumber(px(p.x)))\" cy=\"\(svgNumber(py(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>\n"
      }
    }
    // Legend, to the right of the plot.
    let legendX = left + plotWidth + 16
    for (i, s) in series.enumerated() {
      let y = top + 14 + Double(i) * 20
      let dash = s.style.dashArray.map { " stroke-dasharray=\"\($0)\"" } ?? ""
      out +=
        "<line x1=\"\(svgNumber(legendX))\" y1=\"\(svgNumber(y - 4))\" x2=\"\(svgNumber(legendX + 24))\" y2=\"\(svgNumber(y - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
      out += "<text x=\"\(svgNumber(legendX + 30))\" y=\"\(svgNumber(y))\">\(xmlEscaped(s.label))</text>\n"
    }
    out += "</svg>\n"
    return out
  }

  /// The range an axis shows and its ticks: fixed limits, or the data's range widened to round numbers.
  func axis(values: [Double], limits: (Double, Double)?, scale: Scale) -> ((Double, Double), [Double]) {
    let finite = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
    var lower = limits?.0 ?? finite.min() ?? 0
    var upper = limits?.1 ?? finite.max() ?? 1
    if lower == upper {
      lower -= scale == .log ? lower / 2 : 0.5
      upper += scale == .log ? upper : 0.5
    }
    switch scale {
    case .linear:
      let ticks = Ticks.nice(lower: lower, upper: upper)
      if limits == nil, let first = ticks.first, let last = ticks.last {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        lower = min(lower, first <= lower ? first : first - step)
        upper = max(upper, last >= upper ? last : last + step)
      }
      return ((lower, upper), Ticks.nice(lower: lower, upper: upper))
    case .log:
      let low = limits == nil ? Ticks.floorPower(lower) : lower
      let high = limits == nil ? Ticks.ceilPower(upper) : upper
      return ((low, high), Ticks.powers(lower: low, upper: high))
    }
  }

  func fraction(_ v: Double, _ range: (Double, Double), _ scale: Scale) -> Double {
    switch scale {
    case .linear: return (v - range.0) / (range.1 - range.0)
    case .log: return (log10(v) - log10(range.0)) / (log10(range.1) - log10(range.0))
    }
  }

  func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let magnitude = abs(v)
    if magnitude >= 1e5 || magnitude < 1e-3 { return xmlEscaped(scientific(v)) }
    var text = String(format4(v))
    while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
    return text
  }
}

/// Ticks at round numbers: steps of 1, 2 or 5 times a power of ten.
package enum Ticks {
  package static func nice(lower: Double, upper: Double, target: Int = 6) -> [Double] {
    guard upper > lower, lower.isFinite, upper.isFinite else { return [lower] }
    let rough = (upper - lower) / Double(target)
    let power = pow10((log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
    // k·step (not a running sum) and rounded to the step's precision, so 0.6 is 0.6, not 0.6000000000000001.
    let decimals = max(0, -Int(log10(step).rounded(.down)))
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    var ticks: [Double] = []
    var k = (lower / step).rounded(.up)
    while k * step <= upper + step * 1e-9 {
      ticks.append(((k * step) * scale).rounded() / scale)
      k += 1
    }
    return ticks
  }

  static func floorPower(_ v: Double) -> Double { pow10((log10(v)).rounded(.down)) }
  static func ceilPower(_ v: Double) -> Double { pow10((log10(v)).rounded(.up)) }
  static func powers(lower: Double, upper: Double) -> [Double] {
    var result: [Double] = []
    var p = ceilPower(lower * (1 - 1e-12))
    while p <= upper * (1 + 1e-12) {
      result.append(p)
      p *= 10
    }
    return result
  }
}

/// Text safe inside SVG/XML content and attributes.
func xmlEscaped(_ text: String) -> String {
  var out = ""
  for c in text {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}
