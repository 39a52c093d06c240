/// 2×2 average pooling with stride 2 (LeNet's), for `avgPool2d` and for the convolution it is fused into.
enum AveragePool2x2 {
  /// 2×2 average pooling with stride 2 of `planes` planes (`height` and `width` even), as `avgPool2d` does.
  static func average(
    _ x: UnsafePointer<Float>, planes: Int, height: Int, width: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let (oh, ow) = (height / 2, width / 2)
    for p in 0..<planes {
      for i in 0..<oh {
        let top = x + (p * height + 2 * i) * width
        let bottom = top + width
        let o = out + (p * oh + i) * ow
        for j in 0..<ow { o[j] = 0.25 * (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]) }
      }
    }
  }

  /// The gradient of `average`: a quarter of each pooled gradient to each position of its window.
  static func spread(
    _ g: UnsafePointer<Float>, planes: Int, height: Int, width: Int, into dx: UnsafeMutablePointer<Float>
  ) {
    let (oh, ow) = (height / 2, width / 2)
    for p in 0..<planes {
      for i in 0..<oh {
        let top = dx + (p * height + 2 * i) * width
        let gi = g + (p * oh + i) * ow
        for x in 0..<width { top[x] = 0.25 * gi[x / 2] }
        SIMDLanes.copy(from: top, to: top + width, count: width)
      }
    }
  }
}
