import Foundation
import ProcessSupport
import Synchronization

/// Where each cell's source is, as JupyterLab's debugger names it: `prefix + Murmur2(code, seed) + ".swift"`.
/// Cells are compiled with that path in their `#sourceLocation`, so a stack frame of a cell names the
/// file JupyterLab computed for the cell and it highlights the line. Errors and traps still say
/// `<Cell N>`: `labelled(_:)` turns the paths back into labels before any message is read.
package final class CellFiles: Sendable {
  /// The folder of the files, ending in `/` (the debugger's `tmpFilePrefix`).
  package let prefix: String
  package static let suffix = ".swift"
  /// ipykernel's seed; any would do, as JupyterLab takes it from `debugInfo`.
  package static let seed: UInt32 = 0xC70F_6907
  /// The label of the newest cell compiled from each path.
  private let labels = Mutex<[String: Int]>([:])

  package init(folder: URL) {
    prefix = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
  }

  /// The file of a cell whose text is `code`.
  package func path(for code: String) -> String {
    prefix + String(Self.murmur2(Array(code.utf8), seed: Self.seed)) + Self.suffix
  }

  /// Writes `code` at its path (once), for the debugger's `source` request and stack frames; returns the path.
  @discardableResult
  package func write(_ code: String) throws -> String {
    let path = path(for: code)
    if !FileManager.default.fileExists(atPath: path) {
      try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
      // Into a new name, then renamed: the debugger may read the file while it is written.
      try ScratchFile.write(code, to: path + ".new")
      guard rename(path + ".new", path) == 0 else { throw ScratchFile.Failure(path: path, code: errno) }
    }
    return path
  }

  /// Notes that the cell at `path` runs as `<Cell label>`.
  func record(_ path: String, label: Int) {
    labels.withLock { $0[path] = label }
  }

  /// `text` with every cell file's path replaced by its `<Cell N>`, also where only the file's name is given
  /// (`#fileID`'s `Cell_3/282591061.swift`, as a failed `precondition` prints it).
  package func labelled(_ text: String) -> String {
    guard text.contains(Self.suffix) else { return text }
    return labels.withLock { labels in
      labels.reduce(text) { text, entry in
        let label = CellLabel(entry.value).description
        let name = String(entry.key.dropFirst(prefix.count))
        return text.replacingOccurrences(of: entry.key, with: label).replacingOccurrences(of: name, with: label)
      }
    }
  }

  /// MurmurHash2, 32 bits, little-endian blocks: what JupyterLab's `hash.ts` computes over the UTF-8 bytes.
  package static func murmur2(_ data: [UInt8], seed: UInt32) -> UInt32 {
    let m: UInt32 = 0x5bd1_e995
    var h = seed ^ UInt32(truncatingIfNeeded: data.count)
    var i = 0
    while data.count - i >= 4 {
      var k =
        UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24
      k = k &* m
      k ^= k >> 24
      k = k &* m
      h = (h &* m) ^ k
      i += 4
    }
    let rest = data.count - i
    if rest == 3 { h ^= UInt32(data[i + 2]) << 16 }
    if rest >= 2 { h ^= UInt32(data[i + 1]) << 8 }
    if rest >= 1 {
      h ^= UInt32(data[i])
      h = h &* m
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return h
  }
}
