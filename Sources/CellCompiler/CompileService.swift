import ExecutorWire
import Foundation
import ProcessSupport
import SourceKitCompletion
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The kernel's side of the compile service (`swift-kernel compile-service`): a child process that
/// compiles cells with SourceKit's in-process compiler, so a cell pays no compiler start.
///
/// It is a process of its own, not the completion server's: a compiler crash or an interrupt (which
/// kills it: cancelling a compile can abort SourceKit anyway) must cost one compile, never completion
/// or the session; headless runs, which never complete, use it too; and completion, asked on the
/// dispatcher thread while a cell compiles on the execution thread, must not wait behind a compile.
///
/// When it is missing, dies or answers wrongly, `compile` returns nil and the cell compiles with a
/// spawned `swift-frontend`; the next compile starts a new service. Past `memoryLimit` bytes of
/// resident memory it is replaced between cells. After `idleSeconds` with no compile it ends by itself
/// (an idle kernel then holds no compile service: 128 MB of RSS), and the next cell starts a new one.
package final class CompileService: @unchecked Sendable {
  private let program: String
  private let arguments: [String]
  /// The resident memory past which the service is replaced after a compile.
  package let memoryLimit: Int
  /// Seconds without a compile after which the service ends by itself (0: never).
  package let idleSeconds: Int
  /// The running service's pid; `stop` may read it from another thread.
  private let running = Mutex<pid_t?>(nil)
  private var toService: Int32 = -1
  private var fromService: Int32 = -1
  private var nextID = 0
  /// Why the service cannot work at all (SourceKit missing): then every cell compiles the old way, and
  /// the log said so once.
  package private(set) var unavailable: String?
  /// When the service last answered (or started): one idle past `idleSeconds` may be exiting just as a
  /// request comes, which then goes to a new service rather than to the spawned frontend.
  private var lastUsed = Date()
  /// The compile a new service runs first, so that the first cell does not pay for loading modules.
  package var warmUp: (() -> [String]?)?

  /// The defaults, overridden by `SWIFT_KERNEL_COMPILE_SERVICE_LIMIT_MB` and
  /// `SWIFT_KERNEL_COMPILE_SERVICE_IDLE` (seconds).
  package static let defaultMemoryLimit = 600 << 20
  package static let defaultIdleSeconds = 600

  package init(program: String, library: String, memoryLimit: Int? = nil, idleSeconds: Int? = nil) {
    self.program = program
    let environment = ProcessInfo.processInfo.environment
    let limit = environment["SWIFT_KERNEL_COMPILE_SERVICE_LIMIT_MB"].flatMap { Int($0) }
    self.memoryLimit = memoryLimit ?? limit.map { $0 << 20 } ?? Self.defaultMemoryLimit
    let idle = environment["SWIFT_KERNEL_COMPILE_SERVICE_IDLE"].flatMap { Int($0) }
    self.idleSeconds = max(0, idleSeconds ?? idle ?? Self.defaultIdleSeconds)
    arguments = ["compile-service", "--library", library, "--idle", String(self.idleSeconds)]
  }

  deinit { stop() }

  /// The service's pid while one runs.
  package var pid: pid_t? { running.withLock { $0 } }

  /// Starts the service (if none runs) and sends it the warm-up compile without waiting for it.
  package func start() {
    guard unavailable == nil, pid == nil else { return }
    do {
      let requests = try Subprocess.pipe()
      let replies = try Subprocess.pipe()
      // A crash's banner (LLVM's stack dump) goes to the kernel's log, where a person can read it.
      let spawned = try Subprocess.spawn(program, arguments, fds: [(0, requests.read), (1, replies.write), (2, 2)])
      close(requests.read)
      close(replies.write)
      toService = requests.write
      fromService = replies.read
      running.withLock { $0 = spawned }
      lastUsed = Date()
    } catch {
      unavailable = "\(error)"
      Log.info("the compile service cannot start (\(error)): cells compile with swift-frontend")
      return
    }
    if let arguments = warmUp?() {
      nextID += 1
      if !PipeFraming.write(CompileRequest(id: nextID, arguments: arguments), to: toService) { stop() }
    }
  }

  /// Compiles with the service; nil when there is none or it failed, and the caller compiles the old
  /// way. `started` learns the service's pid while it compiles (an interrupt kills it); `interrupted`
  /// tells a kill by the interrupt from a crash, for the log.
  package func compile(
    _ arguments: [String], started: ((pid_t?) -> Void)? = nil, interrupted: (() -> Bool)? = nil
  ) -> CompileReply? {
    let idleExpired = idleSeconds > 0 && Date().timeIntervalSince(lastUsed) >= Double(idleSeconds) - 1
    guard idleExpired else { return compileOnce(arguments, started: started, interrupted: interrupted) }
    // The service may be ending by itself this instant: if it fails this compile, a new one compiles it.
    if let reply = compileOnce(arguments, started: started, interrupted: interrupted, quiet: true) { return reply }
    if interrupted?() == true || unavailable != nil { return nil }
    Log.debug("the compile service had ended after \(idleSeconds) s idle; a new one compiles the cell")
    return compileOnce(arguments, started: started, interrupted: interrupted)
  }

  private func compileOnce(
    _ arguments: [String], started: ((pid_t?) -> Void)?, interrupted: (() -> Bool)?, quiet: Bool = false
  ) -> CompileReply? {
    if let idle = pid, Self.hasEnded(idle) {
      // It ended by itself after its idle time (or was killed between cells): a new one, as at start-up.
      Log.debug("the compile service had ended (idle for \(idleSeconds) s, or killed); starting a new one")
      stop()
    }
    if pid == nil { start() }
    guard let servicePID = pid else { return nil }
    nextID += 1
    let id = nextID
    started?(servicePID)
    defer { started?(nil) }
    guard PipeFraming.write(CompileRequest(id: id, arguments: arguments), to: toService) else {
      return quiet ? ended() : lost("could not be reached")
    }
    // Replies come in order; an earlier one is the warm-up's.
    while true {
      guard let reply = PipeFraming.read(CompileReply.self, from: fromService) else {
        if interrupted?() == true {
          stop()
          Log.debug("the compile service was killed by the interrupt; the next cell starts a new one")
          return nil
        }
        return quiet ? ended() : lost("ended during a compile (a compiler crash, or killed)")
      }
      guard reply.id == id else { continue }
      if let error = reply.error {
        if error.contains("cannot load") || error.contains(" has no ") {
          unavailable = error
          stop()
          Log.info("the compile service has no SourceKit (\(error)): cells compile with swift-frontend")
          return nil
        }
        return lost("could not compile: \(error)")
      }
      lastUsed = Date()
      if reply.residentBytes > memoryLimit {
        Log.debug("the compile service uses \(reply.residentBytes >> 20) MB (limit \(memoryLimit >> 20) MB): replaced")
        stop()
        start()
      }
      return reply
    }
  }

  /// Whether the child has exited (it is reaped later, by `stop`).
  private static func hasEnded(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
  }

  /// The service had ended (its idle time): cleaned up without a word; the caller tries a new one.
  private func ended() -> CompileReply? {
    stop()
    return nil
  }

  /// The service failed this compile: it is ended, and the next compile starts a new one.
  private func lost(_ why: String) -> CompileReply? {
    stop()
    Log.info("the compile service \(why); this cell compiles with swift-frontend, the next with a new service")
    return nil
  }

  /// Kills the service, if one runs, without waiting: safe from any thread (the kernel's shutdown). A
  /// compile waiting for it then ends, and the compiling thread cleans up.
  package func kill() {
    if let pid { Glibc.kill(pid, SIGKILL) }
  }

  /// Ends the service, if one runs: only from the thread that compiles.
  package func stop() {
    guard let pid = running.withLock({ pid -> pid_t? in
      defer { pid = nil }
      return pid
    })
    else { return }
    Glibc.kill(pid, SIGKILL)
    _ = Subprocess.wait(for: pid)
    close(toService)
    close(fromService)
    toService = -1
    fromService = -1
  }
}
