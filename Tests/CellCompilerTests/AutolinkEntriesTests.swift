import Foundation
import Testing

@testable import CellCompiler

@Suite struct AutolinkEntriesTests {
  /// A minimal ELF64 object with a section-name table and one autolink section.
  func object(entries: String) -> [UInt8] {
    let names = Array("\0.shstrtab\0.swift1_autolink_entries\0".utf8)
    let payload = Array(entries.utf8)
    var bytes = [UInt8](repeating: 0, count: 64)
    bytes[0...5] = [0x7f, 0x45, 0x4c, 0x46, 2, 1]
    let namesOffset = 64
    let payloadOffset = 64 + names.count
    let sectionTable = payloadOffset + payload.count
    bytes += names + payload
    func put(_ value: Int, _ size: Int, at offset: Int) {
      for i in 0..<size { bytes[offset + i] = UInt8(value >> (8 * i) & 0xff) }
    }
    put(sectionTable, 8, at: 0x28)
    put(64, 2, at: 0x3a)
    put(3, 2, at: 0x3c)
    put(1, 2, at: 0x3e)
    bytes += [UInt8](repeating: 0, count: 64 * 3)
    // Section 1: .shstrtab; section 2: the autolink entries.
    put(1, 4, at: sectionTable + 64)
    put(namesOffset, 8, at: sectionTable + 64 + 0x18)
    put(names.count, 8, at: sectionTable + 64 + 0x20)
    put(11, 4, at: sectionTable + 128)
    put(payloadOffset, 8, at: sectionTable + 128 + 0x18)
    put(payload.count, 8, at: sectionTable + 128 + 0x20)
    return bytes
  }

  @Test func readsTheFlagsOfTheAutolinkSection() throws {
    let flags = try AutolinkEntries.entries(in: object(entries: "-lswiftCore\0-lFoundation\0-lm\0"))
    #expect(flags == ["-lswiftCore", "-lFoundation", "-lm"])
  }

  @Test func rejectsWhatIsNotAnELFObject() {
    #expect(throws: CompileError.self) {
      try AutolinkEntries.entries(
        in: Array("not an object at all, just text, long enough to pass the size check....".utf8))
    }
    var truncated = object(entries: "-lm\0")
    truncated.removeLast(100)
    #expect(throws: CompileError.self) { try AutolinkEntries.entries(in: truncated) }
  }

  @Test func theLinkSkipsWhatTheExecutorHasAndWhatLibcHolds() {
    let asked = ["-lswiftCore", "-lutil", "-ldl", "-lClassificationRuntime", "-lCell_3", "-lz", "-lm"]
    #expect(
      CellCompiler.linkFlags(autolinked: asked, preloaded: ["swiftCore"], libcHasMerged: true)
        == ["-lz", "-lm", "-lswiftSwiftOnoneSupport"])
    // An older glibc still has libdl and libutil of its own.
    #expect(
      CellCompiler.linkFlags(autolinked: asked, preloaded: ["swiftCore", "swiftSwiftOnoneSupport"], libcHasMerged: false)
        == ["-lutil", "-ldl", "-lz", "-lm"])
    #expect(CellCompiler.glibcMergedLibraries("glibc 2.36") && CellCompiler.glibcMergedLibraries("glibc 2.34"))
    #expect(!CellCompiler.glibcMergedLibraries("glibc 2.31") && !CellCompiler.glibcMergedLibraries("glibc"))
    #expect(CellCompiler.glibcMergedLibraries("glibc 3.0"))
  }
}
