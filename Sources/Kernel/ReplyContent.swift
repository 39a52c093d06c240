import ExecutorWire
import JupyterProtocol

// How the execution seam's values appear on the wire.

extension CellOutput {
  /// The iopub message type and content for this output.
  var message: (type: String, content: JSON) {
    switch self {
    case .stream(let name, let text):
      ("stream", ["name": .string(name.rawValue), "text": .string(text)])
    case .display(let bundle):
      ("display_data", bundle.displayContent)
    case .updateDisplay(let bundle):
      ("update_display_data", bundle.displayContent)
    case .clearOutput(let wait):
      ("clear_output", ["wait": .bool(wait)])
    }
  }
}

extension DisplayBundle {
  var dataJSON: JSON { .object(data.mapValues(JSON.string)) }
  var metadataJSON: JSON { .object(metadata.mapValues(JSON.string)) }

  var displayContent: JSON {
    var transient: JSON = [:]
    if let displayID { transient = ["display_id": .string(displayID)] }
    return ["data": dataJSON, "metadata": metadataJSON, "transient": transient]
  }
}

extension CellError {
  /// `ename`, `evalue` and `traceback`, as the `error` message and an error reply carry them.
  var json: JSON {
    ["ename": .string(name), "evalue": .string(value), "traceback": .array(traceback.map(JSON.string))]
  }
}

extension ExpressionOutcome {
  var json: JSON {
    switch self {
    case .value(let bundle): ["status": "ok", "data": bundle.dataJSON, "metadata": bundle.metadataJSON]
    case .failed(let error):
      {
        var content = error.json
        content["status"] = "error"
        return content
      }()
    }
  }
}

extension Completion {
  var json: JSON {
    [
      "status": "ok", "matches": .array(matches.map(JSON.string)), "cursor_start": .int(cursorStart),
      "cursor_end": .int(cursorEnd), "metadata": metadata,
    ]
  }
}

extension CodeCompleteness {
  var json: JSON {
    switch self {
    case .complete: ["status": "complete"]
    case .incomplete(let indent): ["status": "incomplete", "indent": .string(indent)]
    case .invalid: ["status": "invalid"]
    case .unknown: ["status": "unknown"]
    }
  }
}
