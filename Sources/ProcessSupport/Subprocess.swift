import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Why a child process could not be started.
package struct SubprocessError: Error, CustomStringConvertible {
  package var description: String
  package init(description: String) { self.description = description }
}

/// Starting child processes with `posix_spawn`: Foundation's `Process` costs ~40 ms a launch on
/// Linux, which is a third of a cell's budget.
package enum Subprocess {
  /// The output of a finished child process.
  package struct Result {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    package init(status: Int32, stdout: String, stderr: String) {
      self.status = status
      self.stdout = stdout
      self.stderr = stderr
    }
  }

  /// Starts `program` with `fds` mapped into the child (child fd ← parent fd) and stdin from /dev/null.
  /// Parent fds should be close-on-exec; `dup2` clears the flag on the child's copy. The child starts
  /// with no blocked signals and default handlers, whatever the calling thread blocks (the kernel
  /// blocks SIGINT to wait for it on a thread of its own).
  /// With `newProcessGroup`, the child leads a process group of its own, so that a signal to the group
  /// (`kill(-pid, …)`) reaches what it starts too.
  package static func spawn(
    _ program: String, _ arguments: [String], environment: [String: String]? = nil,
    fds: [(child: Int32, parent: Int32)],
    newProcessGroup: Bool = false
  ) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    for (child, parent) in fds { posix_spawn_file_actions_adddup2(&actions, parent, child) }
    let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
    if newProcessGroup {
      posix_spawnattr_setpgroup(&attributes, 0)
      flags |= POSIX_SPAWN_SETPGROUP
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))
    var pid: pid_t = 0
    let rc = withCStrings([program] + arguments) { argv in
      withCStrings(env) { envp in posix_spawn(&pid, program, &actions, &attributes, argv, envp) }
    }
    guard rc == 0 else {
      throw SubprocessError(description: "cannot start \(program): \(String(cString: strerror(rc)))")
    }
    return pid
  }

  /// A pipe whose two ends are close-on-exec.
  package static func pipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard Glibc.pipe(&fds) == 0 else { throw SubprocessError(description: "pipe: \(String(cString: strerror(errno)))") }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
  }

  /// Runs a program to completion, draining stdout and stderr together so neither pipe fills up.
  /// `started` learns the child's pid (to stop it from another thread), and nil once it has ended.
  package static func run(_ program: String, _ arguments: [String], started: ((pid_t?) -> Void)? = nil) throws -> Result
  {
    let out = try pipe()
    let err = try pipe()
    let pid: pid_t
    do {
      pid = try spawn(program, arguments, fds: [(1, out.write), (2, err.write)])
    } catch {
      for fd in [out.read, out.write, err.read, err.write] { close(fd) }
      throw error
    }
    started?(pid)
    defer { started?(nil) }
    close(out.write)
    close(err.write)
    var collected: [[UInt8]] = [[], []]
    var open = [out.read, err.read]
    var buffer = [UInt8](repeating: 0, count: 65536)
    while open.contains(where: { $0 >= 0 }) {
      let ready = Poll.readable(open)
      guard ready.contains(true) else { break }
      for i in 0..<2 where open[i] >= 0 && ready[i] {
        let n = buffer.withUnsafeMutableBytes { read(open[i], $0.baseAddress, $0.count) }
        if n > 0 {
          collected[i] += buffer[0..<n]
        } else if n == 0 || errno != EINTR {
          close(open[i])
          open[i] = -1
        }
      }
    }
    let exitCode = wait(for: pid)
    return Result(
      status: exitCode, stdout: String(decoding: collected[0], as: UTF8.self),
      stderr: String(decoding: collected[1], as: UTF8.self))
  }

  /// Waits for a child and returns its exit code as a shell gives it (128 + the signal when killed).
  package static func wait(for pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  }

  private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
  }
}
