import Testing

@testable import Kernel

#if canImport(Glibc)
  import Glibc
#endif

/// `JPY_PARENT_PID` as ipykernel reads it: watched only when it names the kernel's own parent.
@Suite struct ParentWatcherTests {
  @Test func theParentsOwnPidIsWatched() {
    #expect(ParentWatch(jpyParentPID: "4242", parent: 4242) == .watch(4242))
  }

  @Test func noVariableMeansNothingToWatchAndNothingToSay() {
    #expect(ParentWatch(jpyParentPID: nil, parent: 4242) == .ignore(reason: nil))
  }

  @Test func aPidThatIsNotTheParentIsIgnoredWithTheReason() {
    // What a gateway's own pid looks like to a kernel a launcher started.
    guard case .ignore(let reason?) = ParentWatch(jpyParentPID: "777", parent: 4242) else {
      Issue.record("a pid that is not the parent was watched")
      return
    }
    #expect(reason.contains("777") && reason.contains("4242") && reason.contains("not this kernel's parent"))
  }

  @Test(arguments: ["", "abc", "-5", "0", "12x"])
  func aValueThatIsNotAPidIsIgnored(_ value: String) {
    guard case .ignore(let reason?) = ParentWatch(jpyParentPID: value, parent: 4242) else {
      Issue.record("'\(value)' was taken for a pid")
      return
    }
    #expect(reason.contains("not a process id"))
  }

  @Test func initIsNeverWatchedEvenAsTheParent() {
    // A kernel whose parent is already pid 1 could never see it end.
    #expect(ParentWatch(jpyParentPID: "1", parent: 1) != .watch(1))
  }
}
