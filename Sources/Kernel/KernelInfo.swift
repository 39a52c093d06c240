import JupyterProtocol

/// The `kernel_info_reply` content: who this kernel is and what language its cells are.
enum KernelInfo {
  /// `debugger`: whether JupyterLab may show its debugger for this kernel.
  static func content(debugger: Bool) -> JSON {
    var content: JSON = [
      "status": "ok",
      "protocol_version": "5.4",
      "implementation": "swift-kernel",
      "implementation_version": .string(swiftKernelVersion),
      "language_info": [
        "name": "swift",
        "version": .string(swiftLanguageVersion),
        "mimetype": "text/x-swift",
        "file_extension": ".swift",
        "pygments_lexer": "swift",
        "codemirror_mode": "swift",
      ],
      "banner": .string(
        "Swift \(swiftLanguageVersion) kernel with the classification runtime (swift-kernel \(swiftKernelVersion))"),
      "help_links": [["text": "Swift language guide", "url": "https://docs.swift.org/swift-book/"]],
      "debugger": .bool(debugger),
    ]
    if debugger { content["supported_features"] = ["debugger"] }
    return content
  }
}

package let swiftKernelVersion = "0.1.0"

/// The language version the cells compile with (the toolchain the kernel was built with).
package let swiftLanguageVersion: String = {
  #if swift(>=6.3)
    "6.3"
  #elseif swift(>=6.2)
    "6.2"
  #else
    "6"
  #endif
}()
