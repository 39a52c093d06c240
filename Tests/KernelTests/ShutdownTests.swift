import Foundation
import JupyterProtocol
import Testing

@testable import Kernel

@Suite struct ShutdownTests {
  @Test(arguments: [Channel.control, .shell], [false, true])
  func shutdownIsAnsweredThenTheKernelStops(channel: Channel, restart: Bool) {
    let h = KernelHarness()
    #expect(h.run("value 1").reply["status"] == "ok")
    let id = h.transport.deliver("shutdown_request", ["restart": .bool(restart)], on: channel)
    #expect(h.hasStopped())
    #expect(
      h.transport.records(for: id).labels == ["status:busy", "\(channel.rawValue):shutdown_reply", "status:idle"])
    #expect(h.transport.reply(to: id)?.content == ["status": "ok", "restart": .bool(restart)])
    #expect(h.executor.shutdowns == 1)
  }

  @Test func shutdownWhileACellRunsStopsTheKernelAndTheExecutor() {
    let h = KernelHarness()
    _ = h.execute("spin")
    #expect(h.cellStarted())
    let id = h.transport.deliver("shutdown_request", ["restart": false], on: .control)
    #expect(h.hasStopped())
    #expect(h.transport.reply(to: id)?.type == "shutdown_reply")
    #expect(h.executor.shutdowns == 1)
  }

  @Test func requestsQueuedBehindAShutdownAreNotServed() {
    let h = KernelHarness()
    // While a cell runs, shell requests wait in the transport: this one is queued before the shutdown.
    _ = h.execute("spin")
    #expect(h.cellStarted())
    let late = h.transport.deliver("kernel_info_request")
    let shutdown = h.transport.deliver("shutdown_request", ["restart": false], on: .control)
    #expect(h.hasStopped())
    #expect(h.transport.reply(to: shutdown) != nil)
    // The kernel has returned from `run`: nothing can take the request any more, so this is final.
    #expect(h.transport.unread(on: .shell) == 1)
    #expect(h.transport.records(for: late).isEmpty)
  }
}

extension ShutdownTests {
  @Test func theKernelStopsWhenTheProcessItWatchesEnds() throws {
    let h = KernelHarness()
    #expect(h.run("value 1").reply["status"] == "ok")
    // No process has this number (pid_max is at most 2^22 on Linux).
    let pid: pid_t = 99_999_999
    #expect(kill(pid, 0) != 0 && errno == ESRCH)
    h.kernel.stopWhenProcessEnds(pid)
    #expect(h.hasStopped(within: 3))
    #expect(h.executor.shutdowns == 1)
    #expect(h.logged.contains { $0.contains("has ended") })
  }

  @Test func aLiveProcessKeepsTheKernelRunning() {
    let h = KernelHarness()
    let checks = DispatchSemaphore(value: 0)
    h.kernel.stopWhenProcessEnds(getpid(), checked: { checks.signal() })
    // Twice the watcher found this process alive, and the kernel still serves.
    #expect(checks.wait(timeout: .now() + 30) == .success)
    #expect(checks.wait(timeout: .now() + 30) == .success)
    #expect(h.run("value 2").reply["status"] == "ok")
    h.stop()
  }
}
