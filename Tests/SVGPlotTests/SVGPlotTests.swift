import Foundation
import FoundationXML
import Testing

@testable import SVGPlot

/// Parses SVG text as XML; a malformed document fails the test.
func parse(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> XMLElement {
  let document = try XMLDocument(data: Data(svg.utf8))
  return try #require(document.rootElement(), sourceLocation: sourceLocation)
}

/// An attribute's value. (`attribute(forName:)` finds nothing on elements in a default namespace on Linux.)
func attr(_ e: XMLElement?, _ name: String) -> String? {
  e?.attributes?.first { $0.name == name }?.stringValue
}

func elements(_ root: XMLElement, _ name: String) -> [XMLElement] {
  // Document order.
  var found: [XMLElement] = root.name == name ? [root] : []
  for child in (root.children ?? []).compactMap({ $0 as? XMLElement }) { found += elements(child, name) }
  return found
}

@Suite struct LineChartTests {
  let chart: LineChart = {
    var chart = LineChart(
      series: [
        .init(
          label: "train_loss", points: [(0.5, 0.9), (1, 0.6), (1.5, 0.5), (2, 0.45)], color: LineChart.palette[0],
          style: .solid),
        .init(label: "val_loss", points: [(1, 0.65), (2, 0.5)], color: LineChart.palette[1], style: .dashed),
        .init(label: "val_acc <&>", points: [(1, 0.78), (2, 0.81)], color: LineChart.palette[2], style: .dashDot),
      ], xLabel: "epoch")
    chart.xLimits = (0, 3)
    return chart
  }()

  @Test func isWellFormedStandaloneSVG() throws {
    let root = try parse(chart.svg())
    #expect(root.name == "svg")
    #expect(attr(root, "viewBox") == "0 0 600 360")
    #expect(root.namespaces?.compactMap(\.stringValue) == ["http://www.w3.org/2000/svg"])
    #expect(attr(root, "font-family")?.contains("sans-serif") == true)
    // No external references: the only URL is the SVG namespace itself.
    #expect(!chart.svg().replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("://"))
    #expect(!chart.svg().contains("href"))
  }

  @Test func hasEachSeriesWithItsColourAndStyle() throws {
    let lines = elements(try parse(chart.svg()), "polyline")
    let byLabel = Dictionary(uniqueKeysWithValues: lines.map { (attr($0, "data-label")!, $0) })
    #expect(Set(byLabel.keys) == ["train_loss", "val_loss", "val_acc <&>"])
    #expect(attr(byLabel["train_loss"], "stroke") == "#1f77b4")
    #expect(attr(byLabel["train_loss"], "stroke-dasharray") == nil)
    #expect(attr(byLabel["val_loss"], "stroke") == "#ff7f0e")
    #expect(attr(byLabel["val_loss"], "stroke-dasharray") == "6,4")
    #expect(attr(byLabel["val_acc <&>"], "stroke-dasharray") == "7,3,2,3")
    #expect(attr(byLabel["train_loss"], "points")?.split(separator: " ").count == 4)
  }

  @Test func labelsTicksAndALegendBesideThePlot() throws {
    let root = try parse(chart.svg())
    let texts = elements(root, "text").compactMap(\.stringValue)
    #expect(texts.contains("epoch"))
    #expect(["0", "0.5", "1", "1.5", "2", "2.5", "3"].allSatisfy(texts.contains), "x ticks: \(texts)")
    #expect(texts.contains("train_loss") && texts.contains("val_acc <&>"))
    // The legend starts to the right of the plot area's frame, so it cannot cover a curve.
    let frame = elements(root, "rect").first { attr($0, "fill") == "none" }!
    let plotRight = Double(attr(frame, "x")!)! + Double(attr(frame, "width")!)!
    let legend = elements(root, "text").first { $0.stringValue == "train_loss" }!
    #expect(Double(attr(legend, "x")!)! > plotRight)
  }

  @Test func ticksAreRoundNumbers() {
    #expect(Ticks.nice(lower: 0, upper: 10) == [0, 2, 4, 6, 8, 10])
    #expect(Ticks.nice(lower: 0.31, upper: 0.92) == [0.4, 0.6, 0.8])
    #expect(Ticks.nice(lower: 0.31, upper: 0.92, target: 8) == [0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    #expect(Ticks.nice(lower: -3, upper: 3) == [-3, -2, -1, 0, 1, 2, 3])
    #expect(Ticks.powers(lower: 0.01, upper: 100) == [0.01, 0.1, 1, 10, 100])
  }

  @Test func logScaleDropsNonPositiveValuesAndTicksPowers() throws {
    var chart = LineChart(
      series: [.init(label: "loss", points: [(1, 0), (2, 0.1), (3, 0.01)], color: "#000", style: .dotted)],
      xLabel: "step")
    chart.yScale = .log
    let root = try parse(chart.svg())
    #expect(attr(elements(root, "polyline")[0], "points")?.split(separator: " ").count == 2)
    #expect(elements(root, "text").compactMap(\.stringValue).contains("0.01"))
    #expect(attr(elements(root, "polyline")[0], "stroke-dasharray") == "2,3")
  }

  @Test func emptyAndSinglePointChartsStillRender() throws {
    _ = try parse(LineChart(series: [], xLabel: "x").svg())
    let one = LineChart(series: [.init(label: "a", points: [(1, 1)], color: "#000")], xLabel: "x")
    #expect(elements(try parse(one.svg()), "circle").count == 1)
  }
}

@Suite struct ImageGridTests {
  @Test func embedsEachImageAsAValidPNGWithItsTitle() throws {
    let images = (0..<3).map { i in
      ImageGrid.Image(width: 4, height: 3, pixels: (0..<12).map { Float($0 + i) / 14 }, title: "class \(i)")
    }
    let root = try parse(ImageGrid(images: images, columns: 2).svg())
    let rasters = elements(root, "image")
    #expect(rasters.count == 3)
    let href = try #require(attr(rasters[0], "xlink:href") ?? attr(rasters[0], "href"))
    #expect(href.hasPrefix("data:image/png;base64,"))
    let png = try #require(Data(base64Encoded: String(href.dropFirst("data:image/png;base64,".count))))
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    #expect(elements(root, "text").compactMap(\.stringValue) == ["class 0", "class 1", "class 2"])
  }

  @Test func pngChecksumsMatchKnownValues() {
    // Known answers: zlib.crc32(b"IEND") and zlib.adler32(b"Wikipedia").
    #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
    #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    #expect(Base64.encode(Array("Man".utf8)) == "TWFu" && Base64.encode(Array("Ma".utf8)) == "TWE=")
  }
}
