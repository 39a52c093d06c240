import CellCompiler
import Foundation
import JupyterProtocol

extension Kernel {
  /// The one busy → handle → idle bracket: every request on shell and control passes here.
  /// An execute request that starts a cell ends its bracket when the cell finishes.
  func dispatch(_ envelope: Envelope, on channel: Channel) {
    let parent = envelope.message.header
    lastParent = parent
    publishStatus("busy", parent: parent)
    var finished = true
    let content = envelope.message.content
    switch envelope.message.type {
    case "execute_request": finished = startExecution(envelope, on: channel)
    case "kernel_info_request": send("kernel_info_reply", content: kernelInfo, to: envelope, on: channel)
    case "comm_info_request": send("comm_info_reply", content: ["status": "ok", "comms": [:]], to: envelope, on: channel)
    case "history_request": send("history_reply", content: history.reply(to: content, session: session), to: envelope, on: channel)
    case "is_complete_request":
      send("is_complete_reply", content: CellAnalysis.isComplete(content["code"]?.string ?? "").json, to: envelope, on: channel)
    case "complete_request": send("complete_reply", content: completeReply(content), to: envelope, on: channel)
    case "inspect_request": send("inspect_reply", content: inspectReply(content), to: envelope, on: channel)
    case "interrupt_request":
      interruptRunningCell()
      send("interrupt_reply", content: ["status": "ok"], to: envelope, on: channel)
    case "shutdown_request":
      let restart = content["restart"]?.bool ?? false
      send("shutdown_reply", content: ["status": "ok", "restart": .bool(restart)], to: envelope, on: channel)
      shouldExit = true
    case "comm_open":
      // No comm targets here: the spec asks for an immediate comm_close so the frontend is not left waiting.
      if let id = content["comm_id"]?.string {
        publish("comm_close", content: ["comm_id": .string(id), "data": [:]], parent: parent)
      }
    case "comm_msg", "comm_close":
      break  // Messages for comms that do not exist are ignored, as the spec says.
    default:
      log("ignored unknown request type '\(envelope.message.type)' on \(channel.rawValue)")
    }
    if finished { publishStatus("idle", parent: parent) }
  }

  var kernelInfo: JSON {
    [
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
      "banner": .string("Swift \(swiftLanguageVersion) kernel with the classification runtime (swift-kernel \(swiftKernelVersion))"),
      "help_links": [["text": "Swift language guide", "url": "https://docs.swift.org/swift-book/"]],
      "debugger": false,
    ]
  }
}

public let swiftKernelVersion = "0.1.0"

/// The language version the cells compile with (the toolchain the kernel was built with).
public let swiftLanguageVersion: String = {
  #if swift(>=6.3)
    "6.3"
  #elseif swift(>=6.2)
    "6.2"
  #else
    "6"
  #endif
}()
