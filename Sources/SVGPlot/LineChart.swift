/// A line chart rendered to standalone SVG 1.1: axes with ticks at round numbers, axis labels, a legend
/// beside the plot (so it never covers a curve), line styles, linear or log scales.
public struct LineChart: Sendable {
  public enum LineStyle: String, Sendable, CaseIterable {
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

  public enum Scale: Sendable { case linear, log }

  public struct Series: Sendable {
    public var label: String
    public var points: [(x: Double, y: Double)]
    public var color: String
    public var style: LineStyle

    public init(label: String, points: [(x: Double, y: Double)], color: String, style: LineStyle = .solid) {
      (self.label, self.points, self.color, self.style) = (label, points, color, style)
    }
  }

  /// Matplotlib's default colour cycle (C0, C1, …).
  public static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  ]

  public var series: [Series]
  public var xLabel: String
  public var yLabel: String?
  public var title: String?
  public var xScale = Scale.linear
  public var yScale = Scale.linear
  /// Fixed limits; automatic (from the data, widened to round numbers) when nil.
  public var xLimits: (Double, Double)?
  public var yLimits: (Double, Double)?
  /// Size in user units; the SVG scales to the notebook's width through its viewBox.
  public var width = 600.0
  public var height = 360.0

  public init(series: [Series], xLabel: String = "", yLabel: String? = nil, title: String? = nil) {
    (self.series, self.xLabel, self.yLabel, self.title) = (series, xLabel, yLabel, title)
  }

  public func svg() -> String {
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
      <svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 \(f(width)) \(f(height))" width="\(f(width))" height="\(f(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
      <rect x="0" y="0" width="\(f(width))" height="\(f(height))" fill="#ffffff"/>

      """
    if let title {
      out +=
        "<text x=\"\(f(left + plotWidth / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
    }
    // Grid and ticks.
    for t in xTicks {
      let x = px(t)
      out +=
        "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>\n"
      out +=
        "<line x1=\"\(f(x))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"#333333\"/>\n"
      out += "<text x=\"\(f(x))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
    }
    for t in yTicks {
      let y = py(t)
      out +=
        "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e6e6e6\" stroke-width=\"1\"/>\n"
      out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"#333333\"/>\n"
      out += "<text x=\"\(f(left - 8))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
    }
    out +=
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333333\"/>\n"
    out +=
      "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    if let yLabel {
      out +=
        "<text x=\"16\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
    }
    // Curves, clipped to the plot area.
    out +=
      "<clipPath id=\"plot-area\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/></clipPath>\n"
    for s in series where !s.points.isEmpty {
      let points = s.points.filter {
        $0.x.isFinite && $0.y.isFinite && (xScale == .linear || $0.x > 0) && (yScale == .linear || $0.y > 0)
      }
      let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
      let dash = s.style.dashArray.map { " stroke-dasharray=\"\($0)\"" } ?? ""
      out +=
        "<polyline class=\"series\" data-label=\"\(escape(s.label))\" points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash) clip-path=\"url(#plot-area)\"/>\n"
      if points.count == 1, let p = points.first {
        out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(s.color)\"/>\n"
      }
    }
    // Legend, to the right of the plot.
    let legendX = left + plotWidth + 16
    for (i, s) in series.enumerated() {
      let y = top + 14 + Double(i) * 20
      let dash = s.style.dashArray.map { " stroke-dasharray=\"\($0)\"" } ?? ""
      out +=
        "<line x1=\"\(f(legendX))\" y1=\"\(f(y - 4))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(dash)/>\n"
      out += "<text x=\"\(f(legendX + 30))\" y=\"\(f(y))\">\(escape(s.label))</text>\n"
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
    if magnitude >= 1e5 || magnitude < 1e-3 { return escape(scientific(v)) }
    var text = String(format4(v))
    while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
    return text
  }
}

/// Ticks at round numbers: steps of 1, 2 or 5 times a power of ten.
public enum Ticks {
  public static func nice(lower: Double, upper: Double, target: Int = 6) -> [Double] {
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
public func escape(_ text: String) -> String {
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
