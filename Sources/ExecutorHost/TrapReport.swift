import CellCompiler
import ExecutorWire
import Foundation
import ProcessSupport

/// What a trap left behind: the runtime's message and the first frame in a cell.
struct TrapReport {
  var message: String?
  var cell: Int?
  var line: Int?
  var column: Int?

  /// Reads the JSON crash report for the first frame whose source file is a cell.
  mutating func read(crashReportAt path: String, files: CellFiles) {
    guard let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let threads = json["threads"] as? [[String: Any]]
    else { return }
    let crashed = threads.first { $0["crashed"] as? Bool == true } ?? threads.first
    for frame in crashed?["frames"] as? [[String: Any]] ?? [] {
      guard let location = frame["sourceLocation"] as? [String: Any], let file = location["file"] as? String,
        let label = CellLabel.first(in: files.labelled(file))?.label
      else { continue }
      cell = label.number
      line = location["line"] as? Int
      column = location["column"] as? Int
      return
    }
  }
}

extension TrapReport {
  /// Finds the first frame of a trapped cell's stack that lies in a cell's library, with the toolchain's
  /// `llvm-symbolizer` (the libraries are built with `-g`; their file names are the cells' paths, `<Cell N>` once labelled).
  /// A check that failed in the cell's own code (at `-Onone`, an overflow) prints nothing, but its debug
  /// information names it (`Swift runtime failure: arithmetic overflow`): that becomes the message.
  mutating func read(frames: [Trap.Frame], symbolizer: String, files: CellFiles) {
    for (i, frame) in frames.enumerated() where frame.library.contains("/libCell_") {
      guard
        let result = try? Subprocess.run(
          symbolizer, ["--obj=\(frame.library)", "0x" + String(frame.offset, radix: 16)])
      else { return }
      if i == 0, message == nil, let range = result.stdout.range(of: "Swift runtime failure: ") {
        let failure = result.stdout[range.upperBound...].prefix { $0 != "\n" }
        message = failure.prefix(1).uppercased() + failure.dropFirst()
      }
      if let location = Self.cellLocation(inSymbolizerOutput: files.labelled(result.stdout)) {
        (cell, line, column) = (location.cell, location.line, location.column)
        return
      }
    }
  }

  /// `<Cell 3>:2:25` (after any folder) in llvm-symbolizer's output.
  static func cellLocation(inSymbolizerOutput output: String) -> (cell: Int, line: Int, column: Int?)? {
    for line in output.split(separator: "\n") {
      guard let found = CellLabel.first(in: line), let number = found.line else { continue }
      return (found.label.number, number, found.column)
    }
    return nil
  }
}
