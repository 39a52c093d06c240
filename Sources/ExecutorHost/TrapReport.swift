import Foundation

/// What a trap left behind: the runtime's message and the first frame in a cell.
struct TrapReport {
  var message: String?
  var cell: Int?
  var line: Int?
  var column: Int?

  /// Reads the JSON crash report for the first frame whose source file is a cell.
  mutating func read(crashReportAt path: String) {
    guard let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let threads = json["threads"] as? [[String: Any]]
    else { return }
    let crashed = threads.first { $0["crashed"] as? Bool == true } ?? threads.first
    for frame in crashed?["frames"] as? [[String: Any]] ?? [] {
      guard let location = frame["sourceLocation"] as? [String: Any], let file = location["file"] as? String,
        let range = file.range(of: #"<Cell (\d+)>"#, options: .regularExpression)
      else { continue }
      cell = Int(file[range].dropFirst(6).dropLast())
      line = location["line"] as? Int
      column = location["column"] as? Int
      return
    }
  }
}
