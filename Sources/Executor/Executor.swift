import CellGuard
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
nonisolated(unsafe) private var registered = Set<String>()

/// A cell's entry point and its status, handed to the guarded thread.
private final class GuardedCall {
  let entry: CellEntry
  var status: Int32 = 0
  init(entry: CellEntry) { self.entry = entry }
}

/// The executor child process: runs compiled cells; a trap in a cell ends only this process.
package enum Executor {
  /// Runs until the command pipe closes. `runtimePath` is the runtime's shared library.
  package static func main(runtimePath: String?) -> Never {
    setvbuf(stdout, nil, _IOLBF, 0)
    setvbuf(stderr, nil, _IONBF, 0)
    // Cells must not read the kernel's stdin: `readLine()` goes through the runtime instead.
    close(STDIN_FILENO)
    _ = open("/dev/null", O_RDONLY)

    // Cells compiled -Onone use SwiftOnoneSupport's specialisations; loaded here once, cells need not
    // name it when they are linked.
    if dlopen("libswiftSwiftOnoneSupport.so", RTLD_NOW | RTLD_GLOBAL) == nil {
      Log.error("executor: cannot load SwiftOnoneSupport: \(String(cString: dlerror()))")
    }
    if let runtimePath {
      guard let handle = dlopen(runtimePath, RTLD_NOW | RTLD_GLOBAL) else {
        Log.error("executor: cannot load the runtime: \(String(cString: dlerror()))")
        exit(2)
      }
      hooks.beginCell = symbol(handle, "swift_kernel_begin_cell")
      hooks.endCell = symbol(handle, "swift_kernel_end_cell")
      hooks.requestStop = symbol(handle, "swift_kernel_request_stop")
      hooks.stopRequested = symbol(handle, "swift_kernel_stop_requested")
    }
    signal(SIGINT) { _ in hooks.requestStop?() }
    // Traps in a cell end the cell, not this process; SIGUSR2 from the kernel stops a cell that ignores
    // the interrupt, where it stands in its own code.
    cell_guard_install()
    // The kernel's lldb-dap attaches by pid when the user starts JupyterLab's debugger.
    _ = cell_guard_allow_debugger()
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
        var failure: String?
        if dlopen(library, RTLD_NOW | RTLD_GLOBAL) == nil {
          failure = String(cString: dlerror())
          Log.error("executor: cannot load \(library): \(failure!)")
        } else {
          registerCellCode(library)
        }
        PipeFraming.write(ExecutorEvent.loaded(library: library, error: failure), to: PipeFraming.eventFD)
      case .run(let library, let entry, let allowStdin):
        let before = Usage.now()
        let outcome = run(library: library, entry: entry, allowStdin: allowStdin)
        let cost = Usage.now().since(before)
        fflush(stdout)
        fflush(stderr)
        hooks.endCell?()
        PipeFraming.write(ExecutorEvent.usage(cost), to: PipeFraming.eventFD)
        PipeFraming.write(ExecutorEvent.finished(outcome), to: PipeFraming.eventFD)
      case .setEnvironment(let name, let value):
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
      case .changeDirectory(let path):
        if chdir(path) != 0 {
          Log.error("executor: cannot change to \(path): \(String(cString: strerror(errno)))")
        }
      }
    }
    exit(0)
  }

  private static func run(library: String, entry: String, allowStdin: Bool) -> CellOutcome {
    guard let handle = dlopen(library, RTLD_NOW | RTLD_GLOBAL) else {
      return .error(name: "LoadError", value: String(cString: dlerror()))
    }
    registerCellCode(library)
    guard let function: CellEntry = symbol(handle, entry) else {
      return .error(name: "LoadError", value: "\(library) has no entry point \(entry)")
    }
    hooks.beginCell?(allowStdin)
    thrown = nil
    let call = GuardedCall(entry: function)
    var result = cell_guard_result()
    let context = Unmanaged.passRetained(call)
    defer { context.release() }
    cell_guard_run(
      { raw in
        let call = Unmanaged<GuardedCall>.fromOpaque(raw!).takeUnretainedValue()
        call.status = call.entry { name, value in thrown = (String(cString: name), String(cString: value)) }
      }, context.toOpaque(), cellStackSize, &result)
    if result.signal != 0 { return .trapped(trap(from: result)) }
    if call.status != 0, let thrown { return .error(name: thrown.name, value: thrown.value) }
    if hooks.stopRequested?() == true { return .interrupted }
    return .ok
  }

  /// A cell's stack: deep recursion works, and runaway recursion ends at its guard page.
  private static let cellStackSize = 64 << 20

  /// The stack of a trapped cell as libraries and offsets, for the kernel to find the cell's line.
  private static func trap(from result: cell_guard_result) -> Trap {
    let addresses = withUnsafeBytes(of: result.frames) {
      Array($0.bindMemory(to: UInt.self).prefix(Int(result.frame_count)))
    }
    var frames: [Trap.Frame] = []
    for (i, address) in addresses.enumerated() {
      // Return addresses point after the call; one less is inside it, on the caller's line.
      let inside = i == 0 ? address : address - 1
      var library: UnsafePointer<CChar>?
      var offset: UInt = 0
      guard cell_guard_locate(inside, &library, &offset) != 0, let library else { continue }
      frames.append(Trap.Frame(library: String(cString: library), offset: UInt64(offset)))
    }
    return Trap(signal: result.signal, stackOverflow: result.stack_overflow != 0, frames: frames)
  }

  /// Tells the guard where a cell library's code is, so that a hard interrupt stops only there.
  private static func registerCellCode(_ library: String) {
    guard !registered.contains(library) else { return }
    registered.insert(library)
    _ = cell_guard_add_library(library)
  }

  /// The wall clock and the process's CPU times, for a cell's `CellUsage`.
  private struct Usage {
    var wall: Double
    var user: Double
    var system: Double

    static func now() -> Usage {
      var clock = timespec()
      clock_gettime(CLOCK_MONOTONIC, &clock)
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
      return Usage(
        wall: Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9, user: seconds(usage.ru_utime),
        system: seconds(usage.ru_stime))
    }

    func since(_ start: Usage) -> CellUsage {
      CellUsage(wall: wall - start.wall, user: user - start.user, system: system - start.system)
    }
  }

  private static func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String) -> T? {
    guard let raw = dlsym(handle, name) else { return nil }
    return unsafeBitCast(raw, to: T.self)
  }
}
