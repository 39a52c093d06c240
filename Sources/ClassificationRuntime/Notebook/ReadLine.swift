internal import ExecutorWire

/// Reads a line of input: in the kernel it asks the notebook (`input_request`); without stdin it returns nil at once.
///
/// It shadows the standard library's `readLine` in cells, so user code is unchanged.
public func readLine(strippingNewline: Bool = true) -> String? {
  readLine(prompt: "", strippingNewline: strippingNewline)
}

/// Reads a line of input after showing `prompt`; `password` hides what is typed in the notebook.
public func readLine(prompt: String, password: Bool = false, strippingNewline: Bool = true) -> String? {
  guard NotebookBridge.isConnected, let inputFD = NotebookBridge.inputFD else {
    if !prompt.isEmpty { print(prompt, terminator: "") }
    return Swift.readLine(strippingNewline: strippingNewline)
  }
  guard NotebookBridge.allowStdin.load(ordering: .relaxed), !StopFlag.shared.isRequested else { return nil }
  NotebookBridge.emit(.inputRequest(prompt: prompt, password: password))
  guard let reply = PipeFraming.read(InputReply.self, from: inputFD), let value = reply.value else { return nil }
  return strippingNewline ? value : value + "\n"
}
