#if canImport(Glibc)
  import Glibc
#endif

/// Files of the kernel's work folder, which are gone with the kernel: written with `write`, without the
/// `fsync` Foundation's `String.write(toFile:)` does. A cell writes two (its source and its debugger
/// path), and each `fsync` cost 0.2–0.4 ms of the cell's time on an ext4 disk.
package enum ScratchFile {
  package struct Failure: Error, CustomStringConvertible {
    package var path: String
    package var code: Int32
    package init(path: String, code: Int32) {
      self.path = path
      self.code = code
    }
    package var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
  }

  package static func write(_ text: String, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure(path: path, code: errno) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw Failure(path: path, code: n < 0 ? errno : EIO) }
      written += n
    }
  }
}
