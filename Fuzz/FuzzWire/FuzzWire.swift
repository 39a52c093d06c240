import Foundation
import FuzzSupport
import JupyterProtocol

// The wire frames a kernel's ROUTER sockets receive, one per line of the input (identities, `<IDS|MSG>`,
// signature, four JSON frames, buffers), through what `ZeroMQTransport.receive` does with them: decode and
// verify (`WireCodec`), then the replay check (`ReplayGuard`). The seeds are signed with `key`.
let key = "fuzz-key"
let signed = WireCodec(signer: Signer(key: key))
let unsigned = WireCodec(signer: Signer(key: ""))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = bytes(start, count)
  let frames = pieces(data)
  if let envelope = try? unsigned.decode(frames) { checkRoundTrip(envelope, codec: unsigned) }
  if let envelope = try? signed.decode(frames) {
    checkSignature(envelope, frames: frames)
    checkRoundTrip(envelope, codec: signed)
    var replays = ReplayGuard()
    expect(replays.admit(signature: envelope.signature), "a first signature is admitted")
    expect(!replays.admit(signature: envelope.signature), "the same signature again is a replay")
  }
  // The first bytes are plenty for the model, and the whole of a 4 KB input made this target 10 times slower.
  checkReplayGuard(data.prefix(512))
  return 0
}

/// An accepted signature is the HMAC of the four JSON frames; changing the signature or any of those frames
/// makes the message refused.
func checkSignature(_ envelope: Envelope, frames: [Data]) {
  let split = frames.firstIndex(of: WireCodec.delimiter)!
  let parts = Array(frames[(split + 2)...(split + 5)])
  let expected = signed.signer.signature(for: parts)
  expect(envelope.signature.lowercased() == expected, "accepted \(envelope.signature), the HMAC is \(expected)")
  // Another signature: one hex digit changed.
  var wrong = Array(envelope.signature.utf8)
  wrong[0] = wrong[0] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
  var forged = frames
  forged[split + 1] = Data(wrong)
  expect(isBadSignature(forged), "a changed signature was accepted")
  // Another frame: one byte more in each of the four.
  for offset in 2...5 {
    var tampered = frames
    tampered[split + offset].append(UInt8(ascii: " "))
    expect(isBadSignature(tampered), "a changed frame \(offset - 2) kept its signature valid")
  }
}

func isBadSignature(_ frames: [Data]) -> Bool {
  do {
    _ = try signed.decode(frames)
    return false
  } catch let error as WireError {
    return error == .badSignature
  } catch {
    return false
  }
}

/// What decodes encodes again to frames that decode to the same message.
func checkRoundTrip(_ envelope: Envelope, codec: WireCodec) {
  let message = envelope.message
  let frames = codec.encode(message, identities: envelope.identities)
  let again: Envelope
  do { again = try codec.decode(frames) } catch {
    fatalError("property failed: a decoded message encodes to frames that do not decode: \(error)")
  }
  expect(again.identities == envelope.identities, "identities changed in a round trip")
  expect(again.message.header == message.header, "header \(message.header) became \(again.message.header)")
  expect(again.message.parentHeader == message.parentHeader, "parent header changed in a round trip")
  expect(again.message.metadata == message.metadata, "metadata changed in a round trip")
  expect(
    again.message.content == message.content, "content \(message.content) became \(again.message.content)")
  expect(again.message.buffers == message.buffers, "buffers changed in a round trip")
  expect(again.message.type == message.type && !message.type.isEmpty, "a decoded message has its msg_type")
}

/// The replay guard against a model: a signature never admitted is admitted; one of the latest nine tenths
/// of its capacity is refused.
func checkReplayGuard(_ data: Data) {
  guard let first = data.first else { return }
  let capacity = 10 + Int(first % 32)
  var guardian = ReplayGuard(capacity: capacity)
  var admitted: [String] = []
  for byte in data.dropFirst() {
    let signature = byte == 0 ? "" : "s\(byte % 96)"
    let answer = guardian.admit(signature: signature)
    if signature.isEmpty {
      expect(answer, "an unsigned message always passes")
    } else if !admitted.contains(signature) {
      expect(answer, "\(signature) was never seen, and was refused")
      admitted.append(signature)
    } else if admitted.suffix(capacity * 9 / 10).contains(signature) {
      expect(!answer, "\(signature) is among the latest \(capacity * 9 / 10), and was admitted again")
    } else if answer {
      admitted.removeAll { $0 == signature }
      admitted.append(signature)
    }
  }
}

@_cdecl("FuzzWire_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzWire)
}
