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
    #expect(relay.finish(trapped: false) == "loss: F")
    #expect(relay.finish(trapped: false) == "")
    #expect(relay.trapMessage == nil)
  }
}

extension StderrRelayTests {
  @Test func aUsersOwnFatalErrorLineIsShownWhenTheCellEndsWithoutATrap() {
    var relay = StderrRelay()
    #expect(relay.filter("step 1\nFatal error: only a word in my log\nstep 2\n") == "step 1\n")
    #expect(relay.filter("step 3\n") == "")
    #expect(relay.trapMessage == "only a word in my log")
    #expect(relay.finish(trapped: false) == "Fatal error: only a word in my log\nstep 2\nstep 3\n")
  }

  @Test func afterARealTrapTheHeldTextIsDropped() {
    var relay = StderrRelay()
    _ = relay.filter("Fatal error: my own words\n")
    _ = relay.filter("Swift/Array.swift:1: Fatal error: Index out of range\nCurrent stack trace:\n0 libswiftCore.so\n")
    #expect(relay.trapMessage == "Index out of range")
    #expect(relay.finish(trapped: true) == "")
  }
}
