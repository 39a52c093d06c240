// Implementation-only: cells import the runtime and must not need zlib's module map (no zlib type is stored).
internal import CZlib
internal import Foundation

/// The IDX format of MNIST-like data sets (optionally gzip-compressed): a magic number giving the
/// element type and rank, the dimensions as big-endian 32-bit integers, then the data.
enum IDX {
  /// Reads an IDX file of unsigned bytes; returns its dimensions and bytes.
  static func read(_ path: String) throws -> (shape: [Int], bytes: [UInt8]) {
    let data = try decompress(path)
    let name = (path as NSString).lastPathComponent
    guard data.count >= 4, data[0] == 0, data[1] == 0 else {
      throw DataSetError.malformed(file: name, reason: "bad magic number")
    }
    guard data[2] == 0x08 else {
      throw DataSetError.malformed(file: name, reason: "element type \(data[2]) is not unsigned byte")
    }
    let rank = Int(data[3])
    guard rank >= 1, data.count >= 4 + 4 * rank else {
      throw DataSetError.malformed(file: name, reason: "truncated header")
    }
    var shape: [Int] = []
    for d in 0..<rank {
      let o = 4 + 4 * d
      shape.append(Int(data[o]) << 24 | Int(data[o + 1]) << 16 | Int(data[o + 2]) << 8 | Int(data[o + 3]))
    }
    let count = shape.reduce(1, *)
    let start = 4 + 4 * rank
    guard data.count - start == count else {
      throw DataSetError.malformed(
        file: name, reason: "header says \(count) bytes of data, file has \(data.count - start)")
    }
    return (shape, Array(data[start...]))
  }

  /// The file's bytes, inflated with zlib when it is gzip-compressed (zlib reads plain files as they are).
  static func decompress(_ path: String) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else {
      throw DataSetError.unreadable(file: path, reason: String(cString: strerror(errno)))
    }
    defer { gzclose(file) }
    gzbuffer(file, 1 << 20)
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if n < 0 {
        var code: Int32 = 0
        throw DataSetError.unreadable(file: path, reason: String(cString: gzerror(file, &code)))
      }
      if n == 0 { break }
      out += chunk[0..<Int(n)]
    }
    return out
  }
}
