internal import Foundation

#if canImport(Glibc)
  internal import Glibc
#endif

/// Writes tensors as a safetensors file, atomically: into a temporary file beside it, then renamed over
/// it, so a reader (or a crash mid-write) never sees half a file.
///
/// The data goes from each tensor's own buffer to the file (no copy of the whole file in memory). Not
/// `fsync`ed, like `torch.save` and `safetensors.torch.save_file`: the rename protects against the
/// process dying, not against the machine losing power.
enum SafetensorsWriter {
  struct Item {
    let name: String
    let shape: [Int]
    let values: TensorValues
  }

  static func write(_ items: [Item], metadata: [String: String], to path: String) throws {
    var header = "{\"__metadata__\":{"
    header += metadata.keys.sorted().map { "\(json($0)):\(json(metadata[$0]!))" }.joined(separator: ",")
    header += "}"
    var offset = 0
    for item in items {
      let (dtype, bytes): (String, Int) =
        switch item.values {
        case .float32(let v): ("F32", v.count * 4)
        case .int64(let v): ("I64", v.count * 8)
        }
      let shape = item.shape.map(String.init).joined(separator: ",")
      header += ",\(json(item.name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}"
      offset += bytes
    }
    header += "}"
    // Pad with spaces (the format allows it) so the data starts 8-byte aligned, as the reference writer does.
    while (header.utf8.count) % 8 != 0 { header += " " }

    let temporary = path + ".tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw SafetensorsError(file: path, .io("cannot create \(temporary): " + SafetensorsFile.systemError()))
    }
    do {
      defer { close(descriptor) }
      // Reserving the whole size first lets the file system allocate it at once.
      _ = posix_fallocate(descriptor, 0, off_t(8 + header.utf8.count + offset))
      var length = UInt64(header.utf8.count).littleEndian
      try withUnsafeBytes(of: &length) { try writeFully(descriptor, $0, path: path) }
      try Array(header.utf8).withUnsafeBytes { try writeFully(descriptor, $0, path: path) }
      for item in items {
        switch item.values {
        case .float32(let v): try v.withUnsafeBytes { try writeFully(descriptor, $0, path: path) }
        case .int64(let v): try v.withUnsafeBytes { try writeFully(descriptor, $0, path: path) }
        }
      }
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let message = SafetensorsFile.systemError()
      unlink(temporary)
      throw SafetensorsError(file: path, .io("cannot rename the written file into place: " + message))
    }
  }

  private static func writeFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var done = 0
    while done < bytes.count {
      let n = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw SafetensorsError(file: path, .io("cannot write: " + SafetensorsFile.systemError())) }
      done += n
    }
  }

  /// A JSON string literal.
  static func json(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
