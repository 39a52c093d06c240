/// Checks what a user passed in (shapes, arguments, labels). Unlike `precondition`, whose message an
/// optimised build drops, the message is printed in every build ("Fatal error: …"), and the notebook
/// shows it as the cell's error; the executor keeps the session.
@inline(__always)
func require(
  _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String = String(),
  file: StaticString = #fileID, line: UInt = #line
) {
  if !condition() { fatalError(message(), file: file, line: line) }
}
