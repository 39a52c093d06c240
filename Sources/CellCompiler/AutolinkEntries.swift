import Foundation

/// The libraries an object file asks to be linked with: the `.swift1_autolink_entries` section of an
/// ELF object, NUL-separated linker flags. Reading it here saves a `swift-autolink-extract` launch per cell.
enum AutolinkEntries {
  static let sectionName = ".swift1_autolink_entries"

  static func read(objectFile path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CompileError.toolchain("cannot read \(path)")
    }
    return try entries(in: [UInt8](data))
  }

  static func entries(in bytes: [UInt8]) throws -> [String] {
    func integer(_ offset: Int, _ size: Int) throws -> Int {
      guard offset >= 0, offset + size <= bytes.count else { throw CompileError.toolchain("truncated ELF object") }
      var value = 0
      for i in (0..<size).reversed() { value = value << 8 | Int(bytes[offset + i]) }
      return value
    }
    // ELF64, little-endian: the only kind the toolchain produces on Linux x86_64 and aarch64.
    guard bytes.count > 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else {
      throw CompileError.toolchain("not a 64-bit little-endian ELF object")
    }
    let sectionTable = try integer(0x28, 8)
    let entrySize = try integer(0x3a, 2)
    let count = try integer(0x3c, 2)
    let namesIndex = try integer(0x3e, 2)
    func section(_ i: Int) throws -> (name: Int, offset: Int, size: Int) {
      let base = sectionTable + i * entrySize
      return (try integer(base, 4), try integer(base + 0x18, 8), try integer(base + 0x20, 8))
    }
    let names = try section(namesIndex)
    for i in 0..<count {
      let s = try section(i)
      var end = names.offset + s.name
      while end < bytes.count, bytes[end] != 0 { end += 1 }
      guard String(decoding: bytes[(names.offset + s.name)..<end], as: UTF8.self) == sectionName else { continue }
      guard s.offset + s.size <= bytes.count else { throw CompileError.toolchain("truncated ELF section") }
      return bytes[s.offset..<(s.offset + s.size)].split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
    return []
  }
}
