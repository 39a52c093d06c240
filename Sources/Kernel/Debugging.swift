import JupyterProtocol

/// What serves JupyterLab's visual debugger: `debug_request`s on control are Debug Adapter Protocol
/// requests, answered with a DAP response (`debug_reply`); DAP events go out as `debug_event` on iopub.
///
/// `respond` is called on the dispatcher thread, one request at a time, also while a cell runs (a cell
/// stopped at a breakpoint is waiting for `continue`). Events may be sent from any thread.
package protocol Debugging: AnyObject, Sendable {
  /// Whether `kernel_info_reply` may say `debugger: true`.
  var isAvailable: Bool { get }
  /// Starts sending events through `publish` (the kernel calls this once, before any request).
  func start(publishing publish: @escaping @Sendable (_ event: JSON) -> Void)
  /// The DAP response to a DAP request (`seq`, `command`, `arguments`).
  func respond(to request: JSON) -> JSON
  /// The kernel is exiting.
  func shutdown()
}

/// DAP responses the kernel makes itself.
package enum DebugResponse {
  /// A successful response to `request` with `body`.
  package static func success(to request: JSON, body: JSON = [:]) -> JSON {
    [
      "type": "response", "seq": 0, "request_seq": .int(request["seq"]?.int ?? 0), "success": true,
      "command": .string(request["command"]?.string ?? ""), "body": body,
    ]
  }

  /// A failed response to `request`; JupyterLab shows `message`.
  package static func failure(to request: JSON, _ message: String) -> JSON {
    var response = success(to: request)
    response["success"] = false
    response["message"] = .string(message)
    return response
  }
}
