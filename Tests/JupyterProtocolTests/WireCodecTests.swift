import Foundation
import Testing

@testable import JupyterProtocol

@Suite struct WireCodecTests {
  let codec = WireCodec(signer: Signer(key: "key"))

  @Test func roundTripKeepsIdentitiesAndContent() throws {
    let message = Message(
      header: Message.header(type: "execute_request", session: "s1"), parentHeader: ["msg_id": "p"],
      content: ["code": "print(\"é\")", "silent": false])
    let identities = [Data("client-1".utf8), Data([0, 1, 2])]
    let frames = codec.encode(message, identities: identities)
    #expect(frames[2] == WireCodec.delimiter)
    let envelope = try codec.decode(frames)
    #expect(envelope.identities == identities)
    #expect(envelope.message.type == "execute_request")
    #expect(envelope.message.content == message.content)
    #expect(envelope.message.parentHeader == ["msg_id": "p"])
  }

  @Test func headerHasTheSpecFields() throws {
    let header = Message.header(type: "status", session: "abc")
    #expect(header["version"] == "5.4")
    #expect(header["session"] == "abc")
    let date = try #require(header["date"]?.string)
    #expect(date.hasSuffix("Z") && date.count == 27, "ISO 8601 UTC with microseconds: \(date)")
    #expect(UUID(uuidString: header["msg_id"]?.string ?? "") != nil)
    #expect(Message.header(type: "x", session: "s")["msg_id"] != header["msg_id"])
  }

  @Test func badSignatureIsRejectedBeforeParsing() {
    var frames = codec.encode(Message(header: Message.header(type: "x", session: "s"), content: [:]))
    frames[1] = Data("0000".utf8)
    #expect(throws: WireError.badSignature) { try codec.decode(frames) }
    let forged = WireCodec(signer: Signer(key: "other")).encode(
      Message(header: Message.header(type: "x", session: "s"), content: [:]))
    #expect(throws: WireError.badSignature) { try codec.decode(forged) }
  }

  @Test func malformedFramesAreErrorsNotCrashes() {
    #expect(throws: WireError.missingDelimiter) { try codec.decode([Data("junk".utf8)]) }
    #expect(throws: WireError.tooFewFrames(1)) { try codec.decode([WireCodec.delimiter, Data()]) }
    let unsigned = WireCodec(signer: Signer(key: ""))
    let bad = [WireCodec.delimiter, Data(), Data("{oops".utf8), Data("{}".utf8), Data("{}".utf8), Data("{}".utf8)]
    #expect(throws: WireError.invalidJSON(frame: "header")) { try unsigned.decode(bad) }
    let noType = [WireCodec.delimiter, Data(), Data("{}".utf8), Data("{}".utf8), Data("{}".utf8), Data("{}".utf8)]
    #expect(throws: WireError.invalidJSON(frame: "header")) { try unsigned.decode(noType) }
    let arrayContent = [
      WireCodec.delimiter, Data(), Data("{\"msg_type\":\"a\"}".utf8), Data("{}".utf8), Data("{}".utf8),
      Data("[1]".utf8),
    ]
    #expect(throws: WireError.invalidJSON(frame: "content")) { try unsigned.decode(arrayContent) }
  }

  @Test func extraFramesAreBuffers() throws {
    var frames = codec.encode(Message(header: Message.header(type: "comm_msg", session: "s"), content: [:]))
    frames.append(Data([9, 9]))
    #expect(try codec.decode(frames).message.buffers == [Data([9, 9])])
  }
}
