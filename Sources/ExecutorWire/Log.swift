#if canImport(Glibc)
  import Glibc
#endif

/// The one logger of the kernel's processes (kernel, executor, completion server): `[swift-kernel]`
/// lines on stderr, which Jupyter shows in the server's log. A function of our own rather than
/// swift-log: a handful of call sites, one sink, and no package to build for it.
package enum Log {
  package enum Level: Int, Comparable, Sendable {
    case debug, info, warning, error

    package static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
  }

  /// The least level written: `SWIFT_KERNEL_LOG` (`debug`, `info`, `warning`, `error`), else `info`;
  /// `SWIFT_KERNEL_TRACE` (the compile stages' times) means `debug`.
  package static let threshold: Level = {
    switch getenv("SWIFT_KERNEL_LOG").map({ String(cString: $0) }) {
    case "debug": .debug
    case "warning": .warning
    case "error": .error
    default: getenv("SWIFT_KERNEL_TRACE") != nil ? .debug : .info
    }
  }()

  package static func write(_ level: Level, _ message: @autoclosure () -> String) {
    guard level >= threshold else { return }
    let line = "[swift-kernel] \(level == .info ? "" : "\(level): ")\(message())\n"
    _ = PipeFraming.writeAll(Array(line.utf8), to: STDERR_FILENO)
  }

  package static func debug(_ message: @autoclosure () -> String) { write(.debug, message()) }
  package static func info(_ message: @autoclosure () -> String) { write(.info, message()) }
  package static func warning(_ message: @autoclosure () -> String) { write(.warning, message()) }
  package static func error(_ message: @autoclosure () -> String) { write(.error, message()) }
}
