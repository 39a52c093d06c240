internal import Foundation

#if canImport(Glibc)
  internal import Glibc
#endif

/// The element types a safetensors file may hold that this runtime reads.
enum SafetensorsDType: String {
  case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64"

  var byteSize: Int {
    switch self {
    case .f32: 4
    case .f16, .bf16: 2
    case .i64: 8
    }
  }

  var isInteger: Bool { self == .i64 }
}

/// The values of one tensor, in the layout the file holds (row-major, PyTorch's shape).
enum TensorValues {
  case float32([Float])
  case int64([Int64])
}

/// A safetensors file opened for reading: its header checked whole (JSON, dtypes, offsets inside the
/// data and not overlapping, byte counts that fit the shapes), its data read tensor by tensor.
///
/// The format (huggingface/safetensors): an 8-byte little-endian header length, a JSON object
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the
/// data, offsets counted from its start. Little-endian, as this runtime's machines are.
final class SafetensorsFile {
  struct Entry {
    let dtype: SafetensorsDType
    let shape: [Int]
    let begin, end: Int
  }

  let path: String
  let metadata: [String: String]
  let entries: [String: Entry]
  /// The names in the order of their data.
  let names: [String]
  private let descriptor: Int32
  private let dataStart: Int

  /// Opens and checks `path`; throws `SafetensorsError` for anything the format does not allow.
  init(path: String) throws {
    self.path = path
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw SafetensorsError(file: path, .io("cannot open: " + Self.systemError())) }
    var ok = false
    defer { if !ok { close(descriptor) } }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw SafetensorsError(file: path, .io(Self.systemError())) }
    let fileSize = Int(status.st_size)
    guard fileSize >= 8 else { throw SafetensorsError(file: path, .truncated(needs: 8, has: fileSize)) }
    var lengthBytes = [UInt8](repeating: 0, count: 8)
    try Self.readFully(descriptor, into: &lengthBytes, at: 0, path: path)
    let headerLength = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    // The reference implementation's limit: a header this long is not a header.
    guard headerLength <= 100_000_000 else {
      throw SafetensorsError(file: path, .badHeader("its length field says \(headerLength) bytes"))
    }
    guard 8 + Int(headerLength) <= fileSize else {
      throw SafetensorsError(file: path, .truncated(needs: 8 + Int(headerLength), has: fileSize))
    }
    var headerBytes = [UInt8](repeating: 0, count: Int(headerLength))
    try Self.readFully(descriptor, into: &headerBytes, at: 8, path: path)
    let dataStart = 8 + Int(headerLength)
    let (metadata, entries) = try Self.parseHeader(headerBytes, path: path, dataSize: fileSize - dataStart)
    let names = entries.keys.sorted { (entries[$0]!.begin, $0) < (entries[$1]!.begin, $1) }
    // Offsets in order must not go back: a tensor that starts before the previous one ends shares its bytes.
    var previous: (name: String, end: Int)? = nil
    for name in names {
      let entry = entries[name]!
      if let previous, entry.begin < previous.end, entry.end > entry.begin {
        throw SafetensorsError(file: path, tensor: name, .overlapping(with: previous.name))
      }
      if entry.end > entry.begin { previous = (name, entry.end) }
    }
    (self.descriptor, self.dataStart, self.metadata, self.entries, self.names) =
      (descriptor, dataStart, metadata, entries, names)
    ok = true
  }

  deinit { close(descriptor) }

  /// The tensor's values as `Float` (F16 and BF16 widened), or as `Int64` for I64.
  func values(of name: String) throws -> TensorValues {
    let entry = entries[name]!
    let count = entry.end - entry.begin
    switch entry.dtype {
    case .f32: return .float32(try fresh(count / 4, at: entry.begin, name: name))
    case .i64: return .int64(try fresh(count / 8, at: entry.begin, name: name))
    case .f16, .bf16:
      let halves: [UInt16] = try fresh(count / 2, at: entry.begin, name: name)
      if entry.dtype == .bf16 { return .float32(halves.map { Float(bitPattern: UInt32($0) << 16) }) }
      return .float32(halves.map { Float(Float16(bitPattern: $0)) })
    }
  }

  /// `count` elements read straight into a new array (not zero-filled first: it is 45 MB for a ResNet).
  private func fresh<T>(_ count: Int, at offset: Int, name: String) throws -> [T] {
    try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset, name: name)
      initialized = count
    }
  }

  private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, name: String) throws {
    var done = 0
    while done < buffer.count {
      let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(dataStart + offset + done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else {
        throw SafetensorsError(
          file: path, tensor: name,
          n == 0 ? .truncated(needs: dataStart + offset + buffer.count, has: dataStart + offset + done)
            : .io(Self.systemError()))
      }
      done += n
    }
  }

  private static func readFully(_ descriptor: Int32, into bytes: inout [UInt8], at offset: Int, path: String) throws {
    let count = bytes.count
    var done = 0
    while done < count {
      let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw SafetensorsError(file: path, .truncated(needs: offset + count, has: offset + done)) }
      done += n
    }
  }

  static func systemError() -> String { String(cString: strerror(errno)) }

  /// The header's metadata and entries, each entry checked against the data's size.
  private static func parseHeader(_ bytes: [UInt8], path: String, dataSize: Int) throws -> (
    [String: String], [String: Entry]
  ) {
    func bad(_ message: String, _ tensor: String? = nil) -> SafetensorsError {
      SafetensorsError(file: path, tensor: tensor, .badHeader(message))
    }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
    } catch {
      let start = String(decoding: bytes.prefix(40), as: UTF8.self)
      throw bad("not JSON (it starts with \(start.debugDescription))")
    }
    guard let header = object as? [String: Any] else { throw bad("not a JSON object") }
    var metadata: [String: String] = [:]
    var entries: [String: Entry] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let pairs = value as? [String: Any] else { throw bad("__metadata__ is not an object") }
        for (key, value) in pairs {
          guard let text = value as? String else { throw bad("__metadata__ value '\(key)' is not a string") }
          metadata[key] = text
        }
        continue
      }
      guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
        let shape = integers(fields["shape"]), let offsets = integers(fields["data_offsets"])
      else { throw bad("the entry needs dtype, shape and data_offsets", name) }
      guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
        throw SafetensorsError(file: path, tensor: name, .unsupportedDType(dtypeName))
      }
      guard offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1], shape.allSatisfy({ $0 >= 0 }) else {
        throw bad("data_offsets \(offsets) or shape \(shape) is not valid", name)
      }
      let (begin, end) = (offsets[0], offsets[1])
      guard end <= dataSize else {
        throw SafetensorsError(file: path, tensor: name, .offsetsPastEnd(begin: begin, end: end, dataSize: dataSize))
      }
      let (count, overflow) = shape.reduce((1, false)) { acc, d in
        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
        return (p, acc.1 || o)
      }
      let (bytes, tooMany) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard !overflow, !tooMany, bytes == end - begin else {
        throw SafetensorsError(
          file: path, tensor: name, .wrongByteCount(shape: shape, dtype: dtypeName, bytes: end - begin))
      }
      entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
    }
    return (metadata, entries)
  }

  /// A JSON array of non-negative integers (NSNumber holds them; a fraction or a string is not one).
  private static func integers(_ value: Any?) -> [Int]? {
    guard let array = value as? [Any] else { return nil }
    var result: [Int] = []
    for element in array {
      guard let number = element as? NSNumber, let int = Int(exactly: number.doubleValue) else { return nil }
      result.append(int)
    }
    return result
  }
}
