extension ConvGeometry {
  /// Copies the interiors of `images` into their padded grids (stride 1).
  func pad(_ images: Range<Int>, from input: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
    for (j, n) in images.enumerated() {
      for c in 0..<channels {
        for y in 0..<height {
          (padded + j * paddedImage + c * plane + (y + padding) * paddedWidth + padding)
            .update(from: input + ((n * channels + c) * height + y) * width, count: width)
        }
      }
    }
  }

  /// The column matrix of `images` into `scratch.cols`. On the padded grid, row (c, ky, kx) of an image is
  /// one run of its padded plane c starting at (ky, kx).
  func im2col(_ images: Range<Int>, from input: UnsafePointer<Float>, into scratch: Scratch) {
    guard runs else { return im2colStrided(images, from: input, into: scratch.cols) }
    let columns = images.count * span
    pad(images, from: input, into: scratch.padded)
    for j in 0..<images.count {
      for row in 0..<patch {
        let c = row / (kh * kw)
        let ky = row / kw % kh
        let kx = row % kw
        let target = scratch.cols + row * columns + j * span
        target.update(from: scratch.padded + j * paddedImage + c * plane + ky * paddedWidth + kx, count: run)
        (target + run).update(repeating: 0, count: span - run)
      }
    }
  }

  /// The column matrix for other strides: one short copy per (row, image, output row), zeroed at the
  /// edges.
  func im2colStrided(_ images: Range<Int>, from input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    if samePlane { return im2colSamePlane(images, from: input, into: cols) }
    for row in 0..<patch {
      let c = row / (kh * kw)
      let ky = row / kw % kh
      let kx = row % kw
      let (lo, hi) = validColumns(kx)
      for (j, n) in images.enumerated() {
        for oy in 0..<outHeight {
          let out = cols + row * columns + j * span + oy * outWidth
          let iy = oy * stride + ky - padding
          guard iy >= 0 && iy < height, lo < hi else {
            for ox in 0..<outWidth { out[ox] = 0 }
            continue
          }
          let source = input + ((n * channels + c) * height + iy) * width + kx - padding
          for ox in 0..<lo { out[ox] = 0 }
          if stride == 1 {
            // (A wide convolution's stride-1 rows: one contiguous copy each.)
            (out + lo).update(from: source + lo, count: hi - lo)
          } else {
            for ox in lo..<hi { out[ox] = source[ox * stride] }
          }
          for ox in hi..<outWidth { out[ox] = 0 }
        }
      }
    }
  }

  /// Whether the output plane is the input plane's size (stride 1, "same" padding: ResNet's, DenseNet's and
  /// GoogLeNet's 3×3 and 5×5): then tap (ky, kx) is a shift of the whole plane by (ky − padding) rows and
  /// (kx − padding) columns, and a row of the column matrix is one long run of the plane, but for the
  /// `|kx − padding|` positions at each row's edge that the shift carries into the next row.
  var samePlane: Bool { !runs && stride == 1 && outHeight == height && outWidth == width }

  /// The valid output rows of tap row `ky`, and the long run of the flattened plane a tap's shift covers:
  /// its start and length in output positions, and the shift.
  @inline(__always)
  func planeShift(ky: Int, kx: Int) -> (rows: Range<Int>, start: Int, count: Int, shift: Int, dx: Int) {
    let (dy, dx) = (ky - padding, kx - padding)
    // A tap that reaches past the whole plane (a 5×5 kernel over a 2×2 plane) reads only padding.
    guard Swift.abs(dy) < height && Swift.abs(dx) < width else { return (0..<0, 0, 0, 0, 0) }
    let rows = Swift.max(0, -dy)..<Swift.min(height, height - dy)
    let start = rows.lowerBound * width + Swift.max(0, -dx)
    let end = rows.upperBound * width - Swift.max(0, dx)
    return (rows, start, Swift.max(0, end - start), dy * width + dx, dx)
  }

  /// `im2colStrided` for `samePlane`: each (row, image) one long copy of the shifted plane, then zeros where
  /// the shift crossed a row's edge, and in the rows it left. `columnLayout`: `input` holds the chunk's images
  /// as the columns do, `[C, n·H·W]` (the output gradient's columns, for the transposed input gradient), not
  /// the batch's `[N, C, H, W]`.
  func im2colSamePlane(
    _ images: Range<Int>, from input: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>,
    columnLayout: Bool = false
  ) {
    let columns = images.count * span
    let area = height * width
    for row in 0..<patch {
      let c = row / (kh * kw)
      let (rows, start, count, shift, dx) = planeShift(ky: row / kw % kh, kx: row % kw)
      for (j, n) in images.enumerated() {
        let out = cols + row * columns + j * span
        let plane = columnLayout ? input + c * columns + j * area : input + (n * channels + c) * area
        (out).update(repeating: 0, count: start)
        if count > 0 { (out + start).update(from: plane + start + shift, count: count) }
        (out + start + count).update(repeating: 0, count: area - start - count)
        if dx != 0 {
          for oy in rows {
            let edge = dx > 0 ? out + oy * width + width - dx : out + oy * width
            edge.update(repeating: 0, count: Swift.abs(dx))
          }
        }
      }
    }
  }

  /// `col2im` for `samePlane`: the entries the shift carried across a row's edge are zeroed in the columns
  /// (scratch), then each (row, image) is added back in one long run (adding those zeros changes nothing).
  func col2imSamePlane(_ images: Range<Int>, from scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
    let columns = images.count * span
    let area = height * width
    for (j, n) in images.enumerated() {
      for row in 0..<patch {
        let c = row / (kh * kw)
        let (rows, start, count, shift, dx) = planeShift(ky: row / kw % kh, kx: row % kw)
        guard count > 0 else { continue }
        let source = scratch.cols + row * columns + j * span
        if dx != 0 {
          for oy in rows {
            let edge = dx > 0 ? source + oy * width + width - dx : source + oy * width
            edge.update(repeating: 0, count: Swift.abs(dx))
          }
        }
        let target = output + (n * channels + c) * area + start + shift
        let from = source + start
        for i in 0..<count { target[i] += from[i] }
      }
    }
  }

  /// The adjoint of the column matrix for `images`: adds each entry of `scratch.cols` back into the input
  /// position it came from. `output` is the whole batch's `[N, C, H, W]` gradient, zero where these images
  /// are.
  func col2im(_ images: Range<Int>, from scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
    if samePlane { return col2imSamePlane(images, from: scratch, into: output) }
    let columns = images.count * span
    for (j, n) in images.enumerated() {
      let image = output + n * channels * height * width
      if runs {
        // Along the padded grid: each row of the columns is one run. Without padding the grid is the image.
        let target = padding == 0 ? image : scratch.paddedGrad
        for row in 0..<patch {
          let c = row / (kh * kw)
          let ky = row / kw % kh
          let kx = row % kw
          let (source, destination) = (
            scratch.cols + row * columns + j * span, target + c * plane + ky * paddedWidth + kx
          )
          for i in 0..<run { destination[i] += source[i] }
        }
        if padding > 0 {
          for c in 0..<channels {
            for y in 0..<height {
              (image + (c * height + y) * width).update(
                from: target + c * plane + (y + padding) * paddedWidth + padding, count: width)
            }
          }
          target.update(repeating: 0, count: channels * plane)
        }
        continue
      }
      for row in 0..<patch {
        let c = row / (kh * kw)
        let ky = row / kw % kh
        let kx = row % kw
        let (lo, hi) = validColumns(kx)
        guard lo < hi else { continue }
        for oy in 0..<outHeight {
          let iy = oy * stride + ky - padding
          guard iy >= 0 && iy < height else { continue }
          let source = scratch.cols + row * columns + j * span + oy * outWidth
          let target = image + (c * height + iy) * width + kx - padding
          if stride == 1 {
            for ox in lo..<hi { target[ox] += source[ox] }
          } else {
            for ox in lo..<hi { target[ox * stride] += source[ox] }
          }
        }
      }
    }
  }

  /// The output columns whose input column `ox·stride + kx − padding` is inside the image.
  @inline(__always)
  func validColumns(_ kx: Int) -> (Int, Int) {
    let offset = kx - padding
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let hi = Swift.min(outWidth, offset >= width ? 0 : (width - 1 - offset) / stride + 1)
    return (Swift.min(lo, outWidth), Swift.max(hi, 0))
  }
}
