import Foundation
import Testing

@testable import JupyterProtocol

@Suite struct ReplayGuardTests {
  @Test func aSignatureIsAdmittedOnce() {
    var guardian = ReplayGuard()
    let answers = ["abc", "abc", "abd", "", ""].map { guardian.admit(signature: $0) }
    // The repeat is refused; with no key every signature is empty, so nothing can be told apart.
    #expect(answers == [true, false, true, true, true])
  }

  @Test func theHistoryIsBoundedAndForgetsTheOldestFirst() {
    var guardian = ReplayGuard(capacity: 100)
    let first = (0..<1000).map { guardian.admit(signature: "s\($0)") }
    #expect(first.allSatisfy { $0 })
    let recent = guardian.admit(signature: "s999")
    let oldest = guardian.admit(signature: "s0")
    #expect(!recent, "a recent one is remembered")
    #expect(oldest, "the oldest were forgotten")
  }

  @Test func decodedMessagesCarryTheirSignature() throws {
    let codec = WireCodec(signer: Signer(key: "key"))
    let message = Message(header: Message.header(type: "kernel_info_request", session: "s"), content: [:])
    let frames = codec.encode(message, identities: [Data("id".utf8)])
    let envelope = try codec.decode(frames)
    #expect(envelope.signature == String(decoding: frames[2], as: UTF8.self))
    #expect(envelope.signature.count == 64)
  }
}
