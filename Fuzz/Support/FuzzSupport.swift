import CFuzzerDriver
import Foundation

/// Ends the run when a property fails: libFuzzer keeps the input that broke it as a crash (`crash-<sha1>`).
package func expect(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
  line: UInt = #line
) {
  if !condition() { fatalError("property failed: \(message())", file: file, line: line) }
}

/// libFuzzer's bytes as `Data` (an empty input may come with a null pointer).
package func bytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Data {
  guard let start, count > 0 else { return Data() }
  return Data(bytes: start, count: count)
}

/// The input split at each newline, empty pieces kept: how a fuzz input carries several frames or fields
/// (compact JSON, hex signatures and the `<IDS|MSG>` delimiter never hold a raw newline).
package func pieces(_ data: Data) -> [Data] {
  data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
}

/// Runs libFuzzer with the command line. A debug build links an executable's `main` to `<Module>_main`
/// (SwiftPM's testable executables), so each target defines that and calls this; libFuzzer's own `main`
/// would call `LLVMFuzzerTestOneInput` instead.
package func runFuzzer(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
  _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
  var argc = argc
  var argv = argv
  return LLVMFuzzerRunDriver(&argc, &argv, test)
}
