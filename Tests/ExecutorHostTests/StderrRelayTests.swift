import Testing

@testable import ExecutorHost

@Suite struct StderrRelayTests {
  @Test func plainTextPassesThrough() {
    var relay = StderrRelay()
    #expect(relay.filter("warning: slow\n") == "warning: slow\n")
    #expect(relay.filter("no newline yet") == "no newline yet")
    #expect(relay.trapMessage == nil)
  }

  @Test func aTrapLineBecomesTheMessageAndWhatFollowsIsDropped() {
    var relay = StderrRelay()
    let shown = relay.filter(
      "before\nSwift/ContiguousArrayBuffer.swift:691: Fatal error: Index out of range\n*** Signal 4\n")
    #expect(shown == "before\n")
    #expect(relay.trapMessage == "Index out of range")
    #expect(relay.filter("💣 Program crashed: Illegal instruction\nThread 0 crashed\n") == "")
  }

  @Test func aTrapLineSplitAcrossReadsIsHeldBackUntilItIsWhole() {
    var relay = StderrRelay()
    #expect(relay.filter("ok\nMyCell.swift:2: Fatal err") == "ok\n")
    #expect(relay.filter("or: boom went the cell\n") == "")
    #expect(relay.trapMessage == "boom went the cell")
  }

  @Test func aBareFatalErrorHasAMessageAllTheSame() {
    var relay = StderrRelay()
    _ = relay.filter("Fatal error\n")
    #expect(relay.trapMessage == "Fatal error")
  }
}

extension StderrRelayTests {
  @Test func whatLooksLikeTheStartOfATrapIsShownWhenTheCellEnds() {
    var relay = StderrRelay()
    #expect(relay.filter("loss: F") == "")
    #expect(relay.finish() == "loss: F")
    #expect(relay.finish() == "")
    #expect(relay.trapMessage == nil)
  }
}
