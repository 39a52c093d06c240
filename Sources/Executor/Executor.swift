import ExecutorWire
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The entry point every compiled cell exports: it reports a thrown error through the callback.
typealias CellEntry = @convention(c) (ErrorReporter) -> Int32
typealias ErrorReporter = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Void

/// Hooks the runtime exports with `@_cdecl`; the executor finds them with `dlsym`.
private struct RuntimeHooks {
  var beginCell: (@convention(c) (Bool) -> Void)?
  var endCell: (@convention(c) () -> Void)?
  var requestStop: (@convention(c) () -> Void)?
  var stopRequested: (@convention(c) () -> Bool)?
}

nonisolated(unsafe) private var hooks = RuntimeHooks()
nonisolated(unsafe) private var thrown: (name: String, value: String)?

/// The executor child process: runs compiled cells; a trap in a cell ends only this process.
public enum Executor {
  /// Runs until the command pipe closes. `runtimePath` is the runtime's shared library.
  public static func main(runtimePath: String?) -> Never {
    setvbuf(stdout, nil, _IOLBF, 0)
    setvbuf(stderr, nil, _IONBF, 0)
    // Cells must not read the kernel's stdin: `readLine()` goes through the runtime instead.
    close(STDIN_FILENO)
    _ = open("/dev/null", O_RDONLY)

    // Cells compiled -Onone use SwiftOnoneSupport's specialisations; loaded here once, cells need not
    // name it when they are linked.
    if dlopen("libswiftSwiftOnoneSupport.so", RTLD_NOW | RTLD_GLOBAL) == nil {
      fputs("executor: cannot load SwiftOnoneSupport: \(String(cString: dlerror()))\n", stderr)
    }
    if let runtimePath {
      guard let handle = dlopen(runtimePath, RTLD_NOW | RTLD_GLOBAL) else {
        fputs("executor: cannot load the runtime: \(String(cString: dlerror()))\n", stderr)
        exit(2)
      }
      hooks.beginCell = symbol(handle, "swift_kernel_begin_cell")
      hooks.endCell = symbol(handle, "swift_kernel_end_cell")
      hooks.requestStop = symbol(handle, "swift_kernel_request_stop")
      hooks.stopRequested = symbol(handle, "swift_kernel_stop_requested")
    }
    signal(SIGINT) { _ in hooks.requestStop?() }
    // Text printed without a newline (progress on one line) shows within 0.1 s, as in ipykernel.
    // It also ends the executor when the kernel is gone (killed without closing the command pipe's
    // reader's way out: a cell still running would otherwise keep it alive).
    let kernel = getppid()
    Thread.detachNewThread {
      while true {
        usleep(100_000)
        fflush(stdout)
        if getppid() != kernel { _exit(0) }
      }
    }
    signal(SIGPIPE, SIG_IGN)

    PipeFraming.write(ExecutorEvent.ready, to: PipeFraming.eventFD)
    while let command = PipeFraming.read(ExecutorCommand.self, from: PipeFraming.commandFD) {
      switch command {
      case .load(let library):
        if dlopen(library, RTLD_NOW | RTLD_GLOBAL) == nil {
          fputs("executor: cannot load \(library): \(String(cString: dlerror()))\n", stderr)
        }
      case .run(let library, let entry, let allowStdin):
        let outcome = run(library: library, entry: entry, allowStdin: allowStdin)
        fflush(stdout)
        fflush(stderr)
        hooks.endCell?()
        PipeFraming.write(ExecutorEvent.finished(outcome), to: PipeFraming.eventFD)
      }
    }
    exit(0)
  }

  private static func run(library: String, entry: String, allowStdin: Bool) -> CellOutcome {
    guard let handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL) else {
      return .error(name: "LoadError", value: String(cString: dlerror()))
    }
    guard let function: CellEntry = symbol(handle, entry) else {
      return .error(name: "LoadError", value: "\(library) has no entry point \(entry)")
    }
    hooks.beginCell?(allowStdin)
    thrown = nil
    let status = function { name, value in
      thrown = (String(cString: name), String(cString: value))
    }
    if status != 0, let thrown { return .error(name: thrown.name, value: thrown.value) }
    if hooks.stopRequested?() == true { return .interrupted }
    return .ok
  }

  private static func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String) -> T? {
    guard let raw = dlsym(handle, name) else { return nil }
    return unsafeBitCast(raw, to: T.self)
  }
}
