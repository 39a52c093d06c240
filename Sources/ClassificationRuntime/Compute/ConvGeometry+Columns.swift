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

  /// The adjoint of the column matrix for `images`: adds each entry of `scratch.cols` back into the input
  /// position it came from. `output` is the whole batch's `[N, C, H, W]` gradient, zero where these images
  /// are.
  func col2im(_ images: Range<Int>, from scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
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
