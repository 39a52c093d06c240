import ArgumentParser
import Foundation
import JupyterProtocol
import NotebookRunner

/// `swift-kernel run`: executes a notebook headless, with the same kernel Jupyter starts, and no Python.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Execute a notebook headless and write the executed notebook (nbformat 4.5).",
    discussion: """
      Outputs are recorded as nbclient records them. Cells tagged skip-execution are skipped; a cell tagged \
      raises-exception may fail. -p NAME=VALUE replaces parameters as papermill does: a cell declaring them \
      again is injected after the cell tagged parameters. The exit status is 1 when a cell fails (unless \
      --allow-errors), 2 when the input is not a notebook.
      """)

  @Argument(help: "The notebook to execute.")
  var input: String

  @Option(name: .shortAndLong, help: "Where to write the executed notebook (default: INPUT with .out.ipynb).")
  var output: String?

  @Flag(help: "Keep going after a cell fails, and exit 0.")
  var allowErrors = false

  @Option(help: "Seconds a cell may run before it is interrupted.")
  var timeout: Double?

  @Option(name: .customShort("p"), parsing: .unconditionalSingleValue, help: "A parameter, NAME=VALUE (repeatable).")
  var parameters: [String] = []

  func run() throws {
    var notebook: Notebook
    do {
      notebook = try Notebook(contentsOf: input)
    } catch {
      FileHandle.standardError.write(Data("swift-kernel run: \(error)\n".utf8))
      throw ExitCode(2)
    }
    var values: [(name: String, value: String)] = []
    for parameter in parameters {
      guard let equals = parameter.firstIndex(of: "="), !parameter[..<equals].isEmpty else {
        throw ValidationError("a parameter is NAME=VALUE, not '\(parameter)'")
      }
      values.append((String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...])))
    }
    notebook.inject(parameters: values)
    // Absolute now: a notebook's `%cd` changes this process's working folder (the kernel runs in it).
    let destination = URL(
      fileURLWithPath: output ?? (input.hasSuffix(".ipynb") ? String(input.dropLast(6)) : input) + ".out.ipynb"
    ).path

    let sockets = FileManager.default.temporaryDirectory.appendingPathComponent("swift-kernel-run-\(getpid())")
    try FileManager.default.createDirectory(at: sockets, withIntermediateDirectories: true)
    let connection = ConnectionInfo(ipcPath: sockets.appendingPathComponent("kernel").path, key: UUID().uuidString)
    let (kernel, work, _) = try Installation.makeKernel(connection: connection, debugging: false)
    let stopped = DispatchSemaphore(value: 0)
    kernel.interruptOnSIGINT()
    Thread.detachNewThread {
      kernel.run()
      stopped.signal()
    }
    let runner = try NotebookRunner(connection: connection)
    try runner.waitForKernel()
    var options = NotebookRunner.Options()
    options.allowErrors = allowErrors
    options.timeout = timeout
    let started = Date()
    let report = try runner.run(&notebook, options: options)
    runner.shutdown()
    _ = stopped.wait(timeout: .now() + 10)
    try notebook.write(to: destination)
    let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
    FileHandle.standardError.write(
      Data(
        "swift-kernel run: wrote \(destination) (\(report.executed) cells executed, \(report.skipped) skipped, \(seconds) s)\n"
          .utf8))
    try? FileManager.default.removeItem(at: work)
    try? FileManager.default.removeItem(at: sockets)
    if let failure = report.failure {
      FileHandle.standardError.write(
        Data("swift-kernel run: cell \(failure.cell) failed: \(failure.ename): \(failure.evalue)\n".utf8))
    }
    // Exit here: tearing down ZeroMQ contexts would wait for the kernel's heartbeat socket forever.
    Foundation.exit(report.failure == nil ? 0 : 1)
  }
}
