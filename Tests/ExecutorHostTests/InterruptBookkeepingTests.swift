import CellCompiler
import ExecutorWire
import Foundation
import Kernel
import Synchronization
import Testing

@testable import ExecutorHost

/// An interrupt names its cell (`CellRequest.serial`): one that reaches the host before the execution
/// thread has started that cell is kept for it; one meant for a cell that has ended is not.
@Suite struct InterruptBookkeepingTests {
  /// A host whose "executor" is `sleep`: these cells never reach it.
  func makeHost() throws -> (ExecutorHost, URL) {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("interrupt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let compiler = try CellCompiler(
      toolchain: Toolchain.locate(), workDirectory: work, moduleSearchPaths: [], preloadedLibraries: [])
    let launch = ExecutorLaunch(program: "/bin/sleep", arguments: ["600"], workDirectory: work)
    return (try ExecutorHost(compiler: compiler, launch: launch), work)
  }

  func silentSink() -> OutputSink {
    OutputSink(emit: { _ in }, readInput: { _, _ in nil })
  }

  @Test func anInterruptBeforeItsCellStartedStopsItWhenItStarts() throws {
    let (host, work) = try makeHost()
    defer {
      host.shutdown()
      try? FileManager.default.removeItem(at: work)
    }
    host.interrupt(serial: 1)
    let outcome = host.execute(CellRequest(code: "while true {}", label: 1, allowStdin: false, serial: 1), output: silentSink())
    #expect(outcome == .failed(ExecutorHost.interruptedBeforeItStartedError))
  }

  @Test func anInterruptForAnEndedCellIsNotKeptForTheNext() throws {
    let (host, work) = try makeHost()
    defer {
      host.shutdown()
      try? FileManager.default.removeItem(at: work)
    }
    let printed = Mutex("")
    let sink = OutputSink(
      emit: { output in
        if case .stream(_, let text) = output { printed.withLock { $0 += text } }
      }, readInput: { _, _ in nil })
    #expect(host.execute(CellRequest(code: "!echo first", label: 1, allowStdin: false, serial: 1), output: sink) == .ok(result: nil))
    host.interrupt(serial: 1)  // too late for cell 1
    #expect(host.execute(CellRequest(code: "!echo second", label: 2, allowStdin: false, serial: 2), output: sink) == .ok(result: nil))
    #expect(printed.withLock { $0 } == "first\nsecond\n")
  }
}
