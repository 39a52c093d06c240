internal import SVGPlot

extension FashionMNIST {
  /// Shows images of a batch with their text labels as an SVG grid (`nrows × ncols` images).
  public func visualize(_ batch: Batch, nrows: Int = 1, ncols: Int = 8) {
    ClassificationRuntime.display(imageGrid(batch, nrows: nrows, ncols: ncols))
  }

  /// The grid `visualize` shows, as a MIME bundle (SVG and its text labels).
  public func imageGrid(_ batch: Batch, nrows: Int, ncols: Int) -> [String: String] {
    let n = min(batch.count, nrows * ncols)
    let (h, w) = (batch.x.shape[2], batch.x.shape[3])
    let labels = textLabels(batch.y.scalars.prefix(n).map { Int($0) })
    let images = (0..<n).map { i in
      ImageGrid.Image(
        width: w, height: h, pixels: Array(batch.x.scalars[(i * h * w)..<((i + 1) * h * w)]), title: labels[i])
    }
    return [
      "image/svg+xml": ImageGrid(images: images, columns: ncols).svg(),
      "text/plain": "Fashion-MNIST: " + labels.joined(separator: ", "),
    ]
  }
}
