import Foundation
import ProcessSupport
import Testing

@testable import CellCompiler

@Suite struct CellFilesTests {
  /// Known answers from ipykernel's `compiler.murmur2_x86(text, 0xC70F6907)` (the hash JupyterLab's
  /// hash.ts computes too), printed by `.venv/bin/python -c "from ipykernel.compiler import murmur2_x86; …"`.
  @Test(arguments: [
    ("", UInt32(3_990_065_800)), ("a", 2_167_009_006), ("abcd", 804_720_481),
    ("let x = 1\nprint(x)", 3_121_118_954), ("héllo ∑ 🙂", 165_539_995),
  ])
  func murmur2MatchesIPykernel(_ text: String, _ expected: UInt32) {
    #expect(CellFiles.murmur2(Array(text.utf8), seed: CellFiles.seed) == expected)
  }

  @Test func aCellsPathIsThePrefixItsHashAndSwift() {
    let files = CellFiles(folder: URL(fileURLWithPath: "/tmp/k/cells"))
    #expect(files.prefix == "/tmp/k/cells/")
    #expect(files.path(for: "let x = 1\nprint(x)") == "/tmp/k/cells/3121118954.swift")
  }

  @Test func messagesNameTheCellsLabelInsteadOfItsPath() {
    let files = CellFiles(folder: URL(fileURLWithPath: "/tmp/k/cells"))
    let path = files.path(for: "print(y)")
    files.record(path, label: 4)
    #expect(
      files.labelled("\(path):1:7: error: cannot find 'y' in scope") == "<Cell 4>:1:7: error: cannot find 'y' in scope")
    #expect(files.labelled("/elsewhere/a.swift:1:1: note") == "/elsewhere/a.swift:1:1: note")
    #expect(
      files.labelled("Cell_7/\(path.dropFirst(files.prefix.count)):1: Precondition failed: nope")
        == "Cell_7/<Cell 4>:1: Precondition failed: nope")
  }

  @Test func aCellsFileIsWrittenOnceAtItsPath() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cellfiles-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let files = CellFiles(folder: folder.appendingPathComponent("cells"))
    let path = try files.write("let x = 1\nprint(x) // ∑")
    #expect(path == files.path(for: "let x = 1\nprint(x) // ∑"))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "let x = 1\nprint(x) // ∑")
    #expect(try files.write("let x = 1\nprint(x) // ∑") == path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: files.prefix) == [String(path.dropFirst(files.prefix.count))])
  }

  @Test func scratchFilesReplaceWhatWasThereAndSayWhyTheyCannotBeWritten() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("scratch-\(UUID().uuidString).swift").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try ScratchFile.write(String(repeating: "long line\n", count: 1000), to: path)
    try ScratchFile.write("short", to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "short")
    try ScratchFile.write("", to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "")
    #expect(throws: ScratchFile.Failure.self) { try ScratchFile.write("x", to: "/nonexistent-folder/a.swift") }
    do {
      try ScratchFile.write("x", to: "/nonexistent-folder/a.swift")
    } catch {
      #expect("\(error)" == "cannot write /nonexistent-folder/a.swift: No such file or directory")
    }
  }
}
