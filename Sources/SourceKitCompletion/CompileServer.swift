import ExecutorWire
import Foundation
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What the kernel asks the compile service: compile with these driver-style arguments (sources,
/// `-o`, `-emit-module-path` among them), as `swiftc -c` would.
package struct CompileRequest: Codable, Sendable, Equatable {
  package var id: Int
  package var arguments: [String]

  package init(id: Int, arguments: [String]) {
    self.id = id
    self.arguments = arguments
  }
}

/// One compiler message as SourceKit gives it (a structured value, not text), with its notes.
package struct CompilerMessage: Codable, Sendable, Equatable {
  package var file: String
  package var line: Int
  package var column: Int
  /// `error`, `warning`, `note` or `remark`.
  package var severity: String
  package var text: String
  package var notes: [CompilerMessage]

  package init(file: String, line: Int, column: Int, severity: String, text: String, notes: [CompilerMessage] = []) {
    self.file = file
    self.line = line
    self.column = column
    self.severity = severity
    self.text = text
    self.notes = notes
  }

  /// The message as `swift-frontend -diagnostic-style llvm` prints it (`file:line:column: error: text`),
  /// then its notes: what the kernel's diagnostics parser reads from a spawned compile.
  package var llvmStyle: String {
    let location = file.isEmpty ? "<unknown>:0:0" : "\(file):\(line):\(column)"
    return (["\(location): \(severity): \(text)"] + notes.map(\.llvmStyle)).joined(separator: "\n")
  }
}

package struct CompileReply: Codable, Sendable, Equatable {
  package var id: Int
  /// Whether the compile succeeded (its object, and module when asked, are written).
  package var succeeded: Bool
  package var messages: [CompilerMessage]
  /// Why SourceKit could not compile at all (not a compile error): the kernel compiles the old way.
  package var error: String?
  /// The service's resident memory after the compile, in bytes: the kernel recycles it past a limit.
  package var residentBytes: Int

  package init(id: Int, succeeded: Bool, messages: [CompilerMessage], error: String? = nil, residentBytes: Int) {
    self.id = id
    self.succeeded = succeeded
    self.messages = messages
    self.error = error
    self.residentBytes = residentBytes
  }
}

/// `swift-kernel compile-service`: reads `CompileRequest` frames on stdin and answers each with a
/// `CompileReply` frame on stdout, compiling with SourceKit's `source.request.compile` (a frontend
/// `-c` inside this long-lived process: no exec, LLVM set up once, module files mapped and warm).
/// One request at a time, each under a session name of its own that is closed after it (two requests
/// under one name at once crash SourceKit; a session never closed keeps about 14 MB). A compiler crash
/// ends this process: the kernel compiles that cell the old way and starts a new service. After
/// `idleSeconds` with no request it exits by itself, so that a kernel left open and idle gives its memory
/// back; the kernel starts a new one for the next cell.
package enum CompileServer {
  package static func main(library: String, idleSeconds: Int) -> Never {
    signal(SIGPIPE, SIG_IGN)
    let kit: SourceKitD
    do {
      kit = try SourceKitD(path: library)
    } catch {
      while let request = PipeFraming.read(CompileRequest.self, from: 0) {
        PipeFraming.write(
          CompileReply(id: request.id, succeeded: false, messages: [], error: "\(error)", residentBytes: 0), to: 1)
      }
      exit(0)
    }
    while idleSeconds <= 0 || Poll.readable([0], milliseconds: Int32(min(idleSeconds, 86_400) * 1000))[0],
      let request = PipeFraming.read(CompileRequest.self, from: 0)
    {
      let reply = compile(request, with: kit)
      guard PipeFraming.write(reply, to: 1) else { break }
      // After the reply: tearing the compiler instance down costs the cell nothing then.
      _ = try? kit.send([("key.request", .uid("source.request.compile.close")), ("key.name", .string(name(of: request)))]) {
        _ in
      }
    }
    // `_exit`, not `exit`: SourceKit's static destructors can take their time (or wait on its threads), and
    // until the process is gone its stdin stays open, so a request the kernel writes meanwhile would be lost.
    _exit(0)
  }

  static func name(of request: CompileRequest) -> String { "swift-kernel-cell-\(request.id)" }

  static func compile(_ request: CompileRequest, with kit: SourceKitD) -> CompileReply {
    let name = name(of: request)
    do {
      return try kit.send([
        ("key.request", .uid("source.request.compile")),
        ("key.name", .string(name)),
        ("key.compilerargs", .strings(request.arguments)),
      ]) { response in
        let messages = response.array("key.diagnostics").map(message)
        // key.value is 0 when the compile succeeded; an error message without it would be a contradiction.
        let succeeded = response.int("key.value") == 0 && !messages.contains { $0.severity == "error" }
        return CompileReply(id: request.id, succeeded: succeeded, messages: messages, residentBytes: residentBytes())
      }
    } catch {
      return CompileReply(id: request.id, succeeded: false, messages: [], error: "\(error)", residentBytes: residentBytes())
    }
  }

  static func message(_ diagnostic: SourceKitD.Response) -> CompilerMessage {
    let severity = diagnostic.uid("key.severity").map { String($0.split(separator: ".").last ?? "error") } ?? "error"
    return CompilerMessage(
      file: diagnostic.string("key.filepath") ?? "", line: Int(diagnostic.int("key.line")),
      column: Int(diagnostic.int("key.column")), severity: severity,
      text: diagnostic.string("key.description") ?? "", notes: diagnostic.array("key.diagnostics").map(message))
  }

  /// This process's resident set, from `/proc/self/statm`.
  static func residentBytes() -> Int {
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/statm"), let data = try? handle.readToEnd() else {
      return 0
    }
    let fields = String(decoding: data, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }
}
