/// A grid of grayscale images with titles, as standalone SVG; each image is an embedded PNG (no external
/// references), drawn with crisp pixels.
package struct ImageGrid: Sendable {
  /// Pixel rows of an image, values in [0, 1] (0 black, 1 white).
  package struct Image: Sendable {
    package var width: Int
    package var height: Int
    package var pixels: [Float]
    package var title: String

    package init(width: Int, height: Int, pixels: [Float], title: String = "") {
      precondition(pixels.count == width * height, "an image of \(width)×\(height) needs \(width * height) pixels")
      (self.width, self.height, self.pixels, self.title) = (width, height, pixels, title)
    }
  }

  package var images: [Image]
  package var columns: Int
  /// The side of one image in user units.
  package var cell = 84.0

  package init(images: [Image], columns: Int) {
    self.images = images
    self.columns = max(1, columns)
  }

  package func svg() -> String {
    let rows = (images.count + columns - 1) / columns
    let titleHeight = images.contains { !$0.title.isEmpty } ? 18.0 : 0
    let gap = 8.0
    let width = Double(columns) * (cell + gap) + gap
    let height = Double(max(rows, 1)) * (cell + titleHeight + gap) + gap
    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" viewBox="0 0 \(svgNumber(width)) \(svgNumber(height))" width="\(svgNumber(width))" height="\(svgNumber(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">
      <rect x="0" y="0" width="\(svgNumber(width))" height="\(svgNumber(height))" fill="#ffffff"/>

      """
    for (i, image) in images.enumerated() {
      let x = gap + Double(i % columns) * (cell + gap)
      let y = gap + Double(i / columns) * (cell + titleHeight + gap)
      if !image.title.isEmpty {
        out +=
          "<text x=\"\(svgNumber(x + cell / 2))\" y=\"\(svgNumber(y + 12))\" text-anchor=\"middle\">\(xmlEscaped(image.title))</text>\n"
      }
      let png = PNG.grayscale(
        width: image.width, height: image.height, pixels: image.pixels.map { UInt8(max(0, min(1, $0)) * 255) })
      out +=
        "<image class=\"sample\" x=\"\(svgNumber(x))\" y=\"\(svgNumber(y + titleHeight))\" width=\"\(svgNumber(cell))\" height=\"\(svgNumber(cell))\" "
        + "preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" xlink:href=\"data:image/png;base64,\(Base64.encode(png))\"/>\n"
    }
    out += "</svg>\n"
    return out
  }
}

/// A minimal PNG writer: 8-bit grayscale, stored (uncompressed) deflate blocks. The images here are small.
enum PNG {
  static func grayscale(width: Int, height: Int, pixels: [UInt8]) -> [UInt8] {
    var raw: [UInt8] = []
    raw.reserveCapacity(height * (width + 1))
    for row in 0..<height {
      raw.append(0)  // filter: none
      raw += pixels[(row * width)..<((row + 1) * width)]
    }
    var header: [UInt8] = []
    header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
    header += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, no filter, no interlace
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", zlibStored(raw))
      + chunk("IEND", [])
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typeBytes = Array(type.utf8)
    return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
  }

  /// A zlib stream of stored deflate blocks (at most 65 535 bytes each) with its Adler-32.
  static func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let n = min(65_535, data.count - offset)
      let last: UInt8 = offset + n == data.count ? 1 : 0
      out += [last, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
      out += data[offset..<(offset + n)]
      offset += n
    } while offset < data.count
    return out + bigEndian(adler32(data))
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in bytes {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    return b << 16 | a
  }

  static func bigEndian(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
  }
}

enum Base64 {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i < bytes.count {
      let b0 = UInt32(bytes[i])
      let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
      let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
      let triple = b0 << 16 | b1 << 8 | b2
      out.append(alphabet[Int(triple >> 18 & 63)])
      out.append(alphabet[Int(triple >> 12 & 63)])
      out.append(i + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
      out.append(i + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
      i += 3
    }
    return String(decoding: out, as: UTF8.self)
  }
}
