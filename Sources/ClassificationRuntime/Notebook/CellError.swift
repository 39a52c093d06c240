internal import Foundation

/// Fails the running cell with a clear error without ending the session (no trap, state kept).
///
/// In the kernel the cell's output is an `error` when it ends; in a plain process the message goes to stderr.
enum CellError {
  static func report(name: String, value: String) {
    if NotebookBridge.isConnected {
      NotebookBridge.emit(.cellError(name: name, value: value))
    } else {
      FileHandle.standardError.write(Data("\(name): \(value)\n".utf8))
    }
  }
}
