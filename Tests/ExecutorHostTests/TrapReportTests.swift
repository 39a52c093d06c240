import Foundation
import Testing

import CellCompiler
@testable import ExecutorHost

@Suite struct TrapReportTests {
  @Test func theFirstFrameInACellGivesItsLineAndColumn() throws {
    let report = """
      {"threads": [
        {"crashed": false, "frames": [{"sourceLocation": {"file": "<Cell 9>", "line": 1, "column": 1}}]},
        {"crashed": true, "frames": [
          {"sourceLocation": {"file": "/swift/stdlib/Array.swift", "line": 400, "column": 3}},
          {"symbol": "boom()"},
          {"sourceLocation": {"file": "//<Cell 3>", "line": 2, "column": 25}},
          {"sourceLocation": {"file": "<Cell 2>", "line": 7, "column": 1}}
        ]}
      ]}
      """
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trap-\(UUID().uuidString).json").path
    try report.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var trap = TrapReport(message: "Index out of range")
    trap.read(crashReportAt: path, files: CellFiles(folder: URL(fileURLWithPath: "/nonexistent/cells")))
    #expect(trap.cell == 3 && trap.line == 2 && trap.column == 25)
    #expect(trap.message == "Index out of range")
  }

  @Test func aMissingOrBrokenReportLeavesNoLocation() throws {
    var trap = TrapReport(message: nil)
    trap.read(crashReportAt: "/nonexistent/crash.json", files: CellFiles(folder: URL(fileURLWithPath: "/nonexistent/cells")))
    #expect(trap.cell == nil && trap.line == nil)
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trap-\(UUID().uuidString).json").path
    try "{ not json".write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    trap.read(crashReportAt: path, files: CellFiles(folder: URL(fileURLWithPath: "/nonexistent/cells")))
    #expect(trap.cell == nil)
  }
}
