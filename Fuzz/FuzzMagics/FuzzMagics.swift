import Foundation
import FuzzSupport
@testable import ExecutorHost

// A cell's text through the magics' parser (`Magics.steps(of:)`): a usage error, nil (no magic), or steps
// whose Swift code keeps the cell's line numbers; `swiftOnly` (for is_complete and completion) keeps them too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMagics(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let code = String(decoding: bytes(start, count), as: UTF8.self)
  let newlines = lineBreaks(code)
  let only = Magics.swiftOnly(code)
  expect(lineBreaks(only) == newlines, "swiftOnly has \(lineBreaks(only)) line breaks, the cell \(newlines)")
  let steps: [CellStep]?
  do { steps = try Magics.steps(of: code) } catch {
    expect(!error.message.isEmpty, "a usage error says what is wrong")
    return 0
  }
  for step in steps ?? [] {
    switch step {
    case .swift(let swift), .time(let swift):
      expect(lineBreaks(swift) == newlines, "a step's code has \(lineBreaks(swift)) line breaks, the cell \(newlines)")
    case .timeit(let swift, let number, let repeats):
      expect(lineBreaks(swift) == newlines, "%timeit's code has \(lineBreaks(swift)) line breaks, the cell \(newlines)")
      expect(number >= 0 && repeats > 0, "%timeit -n \(number) -r \(repeats)")
    case .writeFile(let path, _, _): expect(!path.isEmpty && !path.contains(" "), "%%writefile path \(path)")
    case .shell, .line: break
    }
  }
  return 0
}

/// Lines as the compiler counts them: each "\n" byte ends one.
func lineBreaks(_ text: String) -> Int { text.utf8.count { $0 == UInt8(ascii: "\n") } }

@_cdecl("FuzzMagics_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzMagics)
}
