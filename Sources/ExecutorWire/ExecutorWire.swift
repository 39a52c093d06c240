import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What the kernel asks the executor to do, over the command pipe.
package enum ExecutorCommand: Codable, Sendable, Equatable {
  /// Load a cell library and call its entry point.
  case run(library: String, entry: String, allowStdin: Bool)
  /// Load a library without running it (earlier cells after a restart, an installed package).
  case load(library: String)
  /// `%env NAME=value`: set (or, with nil, unset) an environment variable for the cells to come.
  case setEnvironment(name: String, value: String?)
  /// `%cd`: change the working directory.
  case changeDirectory(String)
}

/// What a cell cost, measured in the executor around its entry point (for `%time`).
package struct CellUsage: Codable, Sendable, Equatable {
  /// Seconds of wall-clock time, and of CPU time of the whole process (all threads) in user and
  /// system mode, as IPython's `%time` reports them.
  package var wall: Double
  package var user: Double
  package var system: Double

  package init(wall: Double, user: Double, system: Double) {
    self.wall = wall
    self.user = user
    self.system = system
  }
}

/// The outcome of one cell, as the executor saw it.
package enum CellOutcome: Codable, Sendable, Equatable {
  case ok
  case error(name: String, value: String)
  case interrupted
  /// A trap or fault ended the cell where it was, and the executor lives on.
  case trapped(Trap)
}

/// Where a trapped cell stopped: the signal, and the stack as libraries and offsets in them.
package struct Trap: Codable, Sendable, Equatable {
  /// SIGILL/SIGTRAP for a failed check, SIGSEGV/SIGBUS for a bad access, SIGUSR1 for a hard interrupt.
  package var signal: Int32
  /// A SIGSEGV on the guard page below the cell's stack: runaway recursion.
  package var stackOverflow: Bool
  /// The faulting instruction first, then return addresses (less one: inside the call).
  package var frames: [Frame]

  package struct Frame: Codable, Sendable, Equatable {
    package var library: String
    package var offset: UInt64
    package init(library: String, offset: UInt64) {
      self.library = library
      self.offset = offset
    }
  }

  package init(signal: Int32, stackOverflow: Bool, frames: [Frame]) {
    self.signal = signal
    self.stackOverflow = stackOverflow
    self.frames = frames
  }
}

/// A bundle of representations keyed by MIME type; values are text (SVG as XML).
package struct DisplayBundle: Codable, Sendable, Equatable {
  package var data: [String: String]
  package var metadata: [String: String]
  package var displayID: String?

  package init(data: [String: String], metadata: [String: String] = [:], displayID: String? = nil) {
    self.data = data
    self.metadata = metadata
    self.displayID = displayID
  }
}

/// An error as the user sees it: the reply's `ename`/`evalue`/`traceback` and the iopub `error`.
package struct CellError: Error, Codable, Sendable, Equatable {
  package var name: String
  package var value: String
  package var traceback: [String]

  package init(name: String, value: String, traceback: [String]) {
    self.name = name
    self.value = value
    self.traceback = traceback
  }
}

/// A user expression's value, or the error it threw (or its compile failed with), for
/// `user_expressions` in the reply.
package enum ExpressionOutcome: Codable, Sendable, Equatable {
  case value(DisplayBundle)
  case failed(CellError)

  /// The error a user expression threw, as the runtime reports it; its traceback is its one line.
  package static func error(name: String, value: String) -> Self {
    .failed(CellError(name: name, value: value, traceback: ["\(name): \(value)"]))
  }
}

/// Which of a cell's output streams text went to.
package enum StreamName: String, Codable, Sendable, ExpressibleByStringLiteral {
  case stdout, stderr

  /// `"stderr"` is stderr; any other name is stdout (the runtime names its forwarded stdout so).
  package init(stringLiteral name: String) { self = name == "stderr" ? .stderr : .stdout }
}

/// The answer to `is_complete_request`.
package enum CodeCompleteness: Sendable, Equatable {
  case complete
  /// More lines are needed (an unclosed bracket or string); the next line's indent.
  case incomplete(indent: String)
  case invalid
  case unknown
}

/// What the executor (and the runtime inside it) tells the kernel, over the event pipe.
package enum ExecutorEvent: Codable, Sendable, Equatable {
  case ready
  case display(DisplayBundle)
  case updateDisplay(DisplayBundle)
  case clearOutput(wait: Bool)
  case result(DisplayBundle)
  case inputRequest(prompt: String, password: Bool)
  /// Text the cell printed, in order with the display events around it.
  case stream(name: StreamName, text: String)
  /// The runtime failed the cell without trapping (a missing data set): shown as the cell's error
  /// when the cell ends, with the session's state kept.
  case cellError(name: String, value: String)
  /// The value of the user expression with this index, from a cell of user expressions.
  case expression(index: Int, ExpressionOutcome)
  /// The answer to `load`: nil, or why `dlopen` refused the library.
  case loaded(library: String, error: String?)
  /// What the cell that is finishing cost; sent just before `finished`.
  case usage(CellUsage)
  case finished(CellOutcome)
}

/// The reply to an input request; nil means end of input (interrupted, or stdin not allowed).
package struct InputReply: Codable, Sendable, Equatable {
  package var value: String?
  package init(value: String?) { self.value = value }
}

/// Length-prefixed JSON frames on a pipe: 4 bytes little-endian length, then the JSON.
package enum PipeFraming {
  /// The file descriptor numbers the executor is started with.
  package static let commandFD: Int32 = 3
  package static let eventFD: Int32 = 4
  package static let inputFD: Int32 = 5
  /// Set in the executor's environment so the runtime finds its pipes.
  package static let eventFDVariable = "SWIFT_KERNEL_EVENT_FD"
  package static let inputFDVariable = "SWIFT_KERNEL_INPUT_FD"

  package static func frame<T: Encodable>(_ value: T) -> [UInt8] {
    let body = (try? JSONEncoder().encode(value)) ?? Data()
    let n = UInt32(body.count)
    return [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24 & 0xff)] + body
  }

  /// Writes all of a frame, retrying short writes; false when the pipe is closed.
  @discardableResult
  package static func write<T: Encodable>(_ value: T, to fd: Int32) -> Bool {
    writeAll(frame(value), to: fd)
  }

  @discardableResult
  package static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress, raw.count) }
      if n < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += n
    }
    return true
  }

  /// Reads exactly one frame, blocking; nil at end of file.
  package static func read<T: Decodable>(_ type: T.Type, from fd: Int32) -> T? {
    guard let header = readExactly(4, from: fd) else { return nil }
    let n = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
    guard let body = readExactly(n, from: fd) else { return nil }
    return try? JSONDecoder().decode(T.self, from: Data(body))
  }

  private static func readExactly(_ count: Int, from fd: Int32) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
      let n = bytes[offset...].withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress, raw.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return nil }
      offset += n
    }
    return bytes
  }
}

/// Collects bytes read from a non-blocking pipe and yields whole frames.
package struct FrameBuffer: Sendable {
  private var bytes: [UInt8] = []
  package init() {}

  package mutating func append(_ chunk: [UInt8]) { bytes += chunk }

  package mutating func next<T: Decodable>(_ type: T.Type) -> T?? {
    guard bytes.count >= 4 else { return nil }
    let n = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
    guard bytes.count >= 4 + n else { return nil }
    let body = Data(bytes[4..<(4 + n)])
    bytes.removeFirst(4 + n)
    return .some(try? JSONDecoder().decode(T.self, from: body))
  }
}

/// Splits bytes read from a pipe into whole UTF-8 text and an incomplete trailing character, which is
/// kept for the next read (a chunk boundary can fall inside a multi-byte character).
package func splitCompleteUTF8(_ bytes: [UInt8]) -> (complete: [UInt8], rest: [UInt8]) {
  var start = bytes.count
  // Walk back over at most 3 continuation bytes to the lead byte of the last character.
  while start > 0 && bytes.count - start < 4 {
    start -= 1
    let byte = bytes[start]
    guard byte & 0xC0 == 0x80 else {
      let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
      return bytes.count - start >= length ? (bytes, []) : (Array(bytes[..<start]), Array(bytes[start...]))
    }
  }
  return (bytes, [])
}
