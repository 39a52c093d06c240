import CellCompiler
import ExecutorWire
import Foundation
import Kernel
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

// The magics (see `Magics` for how a cell is split into steps). They run on the execution thread, as
// cells do, and report through the same `OutputSink`.
extension ExecutorHost {
  /// Runs a cell's steps in order; the first that fails ends the cell. The cell's value is the last
  /// step's.
  func run(_ steps: [CellStep], of cell: CellRequest, output: OutputSink) -> ExecutionOutcome {
    var result: DisplayBundle?
    for step in steps {
      if control.withLock({ $0.interrupted }) { return .failed(Self.interruptedError) }
      let outcome: ExecutionOutcome
      switch step {
      case .swift(let code): outcome = runSwift(code, cell, output: output).outcome
      case .time(let code): outcome = time(code, cell, output: output)
      case .timeit(let code, let number, let repeats):
        outcome = timeit(code, number: number, repeats: repeats, cell, output: output)
      case .shell(let command): outcome = shell(command, output: output)
      case .writeFile(let path, let append, let text): outcome = writeFile(path, append: append, text: text, output)
      case .line(let magic, let arguments): outcome = line(magic, arguments, cell, output: output)
      }
      switch outcome {
      case .failed: return outcome
      case .ok(let value): result = value
      }
    }
    return .ok(result: result)
  }

  private func line(_ magic: LineMagic, _ arguments: String, _ cell: CellRequest, output: OutputSink)
    -> ExecutionOutcome
  {
    let words = arguments.split(separator: " ").map(String.init)
    switch magic {
    case .lsmagic: return say(Magics.listing, output)
    case .opt:
      guard let level = words.first else { return say("Cells are compiled \(compiler.optimization).", output) }
      guard ["-O", "-Onone", "-Osize"].contains(level), words.count == 1 else {
        return usage("usage: %opt -O | -Onone | -Osize (now \(compiler.optimization))")
      }
      compiler.optimization = level
      return say("Cells are compiled \(level) from now on.", output)
    case .env: return environment(arguments, output)
    case .cd: return changeDirectory(arguments, output)
    case .pwd: return .ok(result: DisplayBundle(data: ["text/plain": String(reflecting: currentDirectory)]))
    case .include:
      let path = arguments.trimmingCharacters(in: .whitespaces)
      guard !path.isEmpty else { return usage("usage: %include FILE.swift") }
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        return usage("%include: cannot read \(path) (from \(currentDirectory))")
      }
      return runSwift(text, cell, output: output).outcome
    case .reset: return reset(words, output)
    case .who, .whos: return who(detailed: magic == .whos, types: words, output)
    case .install: return install(arguments, output: output)
    }
  }

  // MARK: Timing

  /// `%time`: the code runs as a cell (its declarations stay defined); then its CPU and wall time, and
  /// how long it took to compile, as IPython prints them.
  private func time(_ code: String, _ cell: CellRequest, output: OutputSink) -> ExecutionOutcome {
    let ran = runSwift(code, cell, output: output)
    if let usage = ran.usage {
      let format = DurationFormat.string
      output.emit(
        .stream(
          name: .stdout,
          text: "CPU times: user \(format(usage.user, 3)), sys: \(format(usage.system, 3)), "
            + "total: \(format(usage.user + usage.system, 3))\nWall time: \(format(usage.wall, 3))\n"
            + "Compile time: \(format(ran.compileSeconds, 3))\n"))
    }
    return ran.outcome
  }

  /// `%timeit`: the code compiled `-O` inside the runtime's `__timeit`, which chooses the loop count
  /// as IPython does and prints the mean and deviation per loop.
  private func timeit(_ code: String, number: Int, repeats: Int, _ cell: CellRequest, output: OutputSink)
    -> ExecutionOutcome
  {
    let level = compiler.optimization
    compiler.optimization = "-O"
    defer { compiler.optimization = level }
    // The call opens on the first line, which is blank or the code's own: line numbers stay the cell's.
    let wrapped = "try __timeit(number: \(number), repeats: \(repeats)) {" + code + "\n}"
    switch runSwift(wrapped, cell, output: output).outcome {
    case .ok: return .ok(result: nil)
    case .failed(let error): return .failed(error)
    }
  }

  // MARK: The namespace

  /// `%who` / `%whos`: the session's variables, their types and values, read in the executor.
  private func who(detailed: Bool, types: [String], _ output: OutputSink) -> ExecutionOutcome {
    let names = compiler.variables
    guard !names.isEmpty else { return say("Interactive namespace is empty.", output) }
    let quoted = names.map { String(reflecting: $0) }.joined(separator: ", ")
    let values = names.map { "\($0) as Any" }.joined(separator: ", ")
    let filters = types.map { String(reflecting: $0) }.joined(separator: ", ")
    let code = "__who([\(quoted)], [\(values)], detailed: \(detailed), types: [\(filters)])"
    guard case .success(let compiled) = compile(code, label: 0) else {
      // A value the executor can no longer show: the names at least.
      return say(names.joined(separator: "\t") + "\n(values are not available: reading them did not compile)", output)
    }
    return run(compiled, label: 0, allowStdin: false, output: output).outcome
  }

  /// `%reset`: forgets every variable, function and type of the session in a fresh executor; installed
  /// packages stay. Asks first, as IPython does, unless `-f`.
  private func reset(_ words: [String], _ output: OutputSink) -> ExecutionOutcome {
    if !words.contains("-f") {
      guard
        let answer = output.readInput("Once deleted, variables cannot be recovered. Proceed (y/[n])? ", false)
      else {
        return usage("%reset asks before it deletes, and this request cannot answer: use %reset -f")
      }
      guard answer.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("y") else {
        return say("Nothing done.", output)
      }
    }
    compiler.reset()
    names.forgetCells()
    restartExecutor()
    return .ok(result: nil)
  }

  // MARK: The process's surroundings

  var currentDirectory: String { FileManager.default.currentDirectoryPath }

  /// `%env`: all variables; `%env NAME`: one; `%env NAME=value` or `%env NAME value`: set it for the
  /// kernel, its shell commands and the executor. Values of names that look secret are hidden in the
  /// listing, as IPython hides them.
  private func environment(_ arguments: String, _ output: OutputSink) -> ExecutionOutcome {
    let text = arguments.trimmingCharacters(in: .whitespaces)
    if text.isEmpty {
      let secret = ["KEY", "TOKEN", "SECRET", "PASS", "CREDENTIAL"]
      let lines = ProcessInfo.processInfo.environment.sorted { $0.key < $1.key }.map { name, value in
        "\(name)=" + (secret.contains { name.uppercased().contains($0) } ? "<hidden>" : value)
      }
      return say(lines.joined(separator: "\n"), output)
    }
    let name: String
    let value: String
    if let equals = text.firstIndex(of: "=") {
      name = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
      value = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    } else if let space = text.firstIndex(of: " ") {
      name = String(text[..<space])
      value = String(text[text.index(after: space)...]).trimmingCharacters(in: .whitespaces)
    } else {
      guard let found = ProcessInfo.processInfo.environment[text] else {
        return usage("Environment does not have key: \(text)")
      }
      return .ok(result: DisplayBundle(data: ["text/plain": String(reflecting: found)]))
    }
    guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\0" }) else {
      return usage("usage: %env NAME=value")
    }
    setenv(name, value, 1)
    executor?.send(.setEnvironment(name: name, value: value))
    return say("env: \(name)=\(value)", output)
  }

  /// `%cd [DIR]`: the working directory of the kernel (shell commands, `%include`, files the cells
  /// open) and of the executor; no argument is the home folder.
  private func changeDirectory(_ arguments: String, _ output: OutputSink) -> ExecutionOutcome {
    var path = arguments.trimmingCharacters(in: .whitespaces)
    if path.isEmpty || path == "~" { path = NSHomeDirectory() }
    if path.hasPrefix("~/") { path = NSHomeDirectory() + path.dropFirst() }
    guard chdir(path) == 0 else { return usage("%cd: \(path): \(String(cString: strerror(errno)))") }
    executor?.send(.changeDirectory(currentDirectory))
    return say(currentDirectory, output)
  }

  // MARK: Shell commands and files

  /// `!command`, `%%bash`, `%%sh`: runs in bash (or sh), its output streamed as it comes; an interrupt
  /// sends SIGINT to its process group. A failing command prints its exit status, as a terminal
  /// would not, and does not fail the cell (IPython's `!` does not either).
  private func shell(_ command: String, output: OutputSink) -> ExecutionOutcome {
    let shell = FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh"
    let status = stream(shell, ["-c", command], output: output)
    if control.withLock({ $0.interrupted }) { return .failed(Self.interruptedError) }
    switch status {
    case .failure(let error):
      return .failed(CellError(name: "ShellError", value: error.description, traceback: [error.description]))
    case .success(let (code, _)):
      if code != 0 { output.emit(.stream(name: .stderr, text: "(exit status \(code))\n")) }
      return .ok(result: nil)
    }
  }

  /// Runs a program with its output streamed to the cell (stdout and stderr apart), in a process group
  /// an interrupt reaches; returns its exit status and what it printed.
  func stream(_ program: String, _ arguments: [String], output: OutputSink) -> Result<(Int32, String), SubprocessError>
  {
    let pipes: [(read: Int32, write: Int32)]
    let pid: pid_t
    do {
      pipes = [try Subprocess.pipe(), try Subprocess.pipe()]
      pid = try Subprocess.spawn(
        program, arguments, fds: [(1, pipes[0].write), (2, pipes[1].write)], newProcessGroup: true)
    } catch {
      return .failure(SubprocessError(description: "\(error)"))
    }
    control.withLock { $0.shellGroup = pid }
    defer { control.withLock { $0.shellGroup = nil } }
    for pipe in pipes {
      close(pipe.write)
      // Read what is there and go back to waiting: a blocking read would wait for the end of the
      // command (no streaming, no interrupt, and a deadlock when the other pipe fills up).
      _ = fcntl(pipe.read, F_SETFL, fcntl(pipe.read, F_GETFL) | O_NONBLOCK)
    }
    var open = pipes.map(\.read)
    var pending: [[UInt8]] = [[], []]
    var printed = ""
    var killed = false
    while open.contains(where: { $0 >= 0 }) {
      let ready = Poll.readable(open + [wakePipe.read], milliseconds: 500)
      drainWakePipe()
      for index in 0..<2 where open[index] >= 0 && ready[index] {
        guard let bytes = ExecutorProcess.readAvailable(open[index]) else {
          close(open[index])
          open[index] = -1
          continue
        }
        let (complete, rest) = splitCompleteUTF8(pending[index] + bytes)
        pending[index] = rest
        if !complete.isEmpty {
          let text = String(decoding: complete, as: UTF8.self)
          printed += text
          output.emit(.stream(name: index == 0 ? .stdout : .stderr, text: text))
        }
      }
      // A command that ignores SIGINT is killed when the interrupt's grace is over.
      let overdue = control.withLock { $0.interruptDeadline.map { Date() >= $0 } ?? false }
      if overdue && !killed {
        kill(-pid, SIGKILL)
        killed = true
      }
    }
    return .success((Subprocess.wait(for: pid), printed))
  }

  /// `%%writefile [-a] FILE`: the cell's body into a file, as IPython writes it.
  private func writeFile(_ path: String, append: Bool, text: String, _ output: OutputSink) -> ExecutionOutcome {
    let exists = FileManager.default.fileExists(atPath: path)
    do {
      if append, exists, let handle = FileHandle(forWritingAtPath: path) {
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
      } else {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
      }
    } catch {
      return usage("%%writefile: cannot write \(path): \(error.localizedDescription)")
    }
    return say((append ? "Appending to " : exists ? "Overwriting " : "Writing ") + path, output)
  }

  // MARK: Helpers

  func say(_ text: String, _ output: OutputSink) -> ExecutionOutcome {
    output.emit(.stream(name: .stdout, text: text.hasSuffix("\n") ? text : text + "\n"))
    return .ok(result: nil)
  }

  func usage(_ message: String) -> ExecutionOutcome { .failed(MagicUsageError(message: message).cellError) }
}
