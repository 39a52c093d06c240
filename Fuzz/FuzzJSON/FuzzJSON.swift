import Foundation
import FuzzSupport
import JupyterProtocol

// Message JSON (`JSON(parsing:)`, the parser of every frame, connection file and notebook) and the two
// writers: what parses serialises to text that parses to the same value, compact and indented.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = bytes(start, count)
  guard let value = try? JSON(parsing: data) else { return 0 }
  let compact = value.serialized
  let again: JSON
  do { again = try JSON(parsing: compact) } catch {
    fatalError("property failed: \(compact) was written by JSON.serialized and does not parse: \(error)")
  }
  expect(again == value, "\(value) was written as \(compact) and read back as \(again)")
  expect(again.serialized == compact, "serialising is not stable: \(compact) then \(again.serialized)")
  let pretty = value.pretty(indent: 1)
  expect((try? JSON(parsing: pretty)) == value, "the indented text \(pretty) reads back as another value")
  // The accessors the kernel reads requests with.
  if case .double(let d) = value, let int = value.int { expect(Double(int) == d, "\(d) read as the Int \(int)") }
  _ = value["msg_type"]?.string
  return 0
}

@_cdecl("FuzzJSON_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzJSON)
}
