import Foundation

/// One Jupyter message, without its routing identities.
package struct Message: Sendable {
  package var header: JSON
  package var parentHeader: JSON
  package var metadata: JSON
  package var content: JSON
  package var buffers: [Data]

  package init(header: JSON, parentHeader: JSON = [:], metadata: JSON = [:], content: JSON, buffers: [Data] = []) {
    self.header = header
    self.parentHeader = parentHeader
    self.metadata = metadata
    self.content = content
    self.buffers = buffers
  }

  package var type: String { header["msg_type"]?.string ?? "" }
  package var id: String { header["msg_id"]?.string ?? "" }
  package var session: String { header["session"]?.string ?? "" }

  /// A fresh header for a message this kernel sends.
  package static func header(type: String, session: String, username: String = "kernel") -> JSON {
    [
      "msg_id": .string(UUID().uuidString.lowercased()),
      "session": .string(session),
      "username": .string(username),
      "date": .string(isoNow()),
      "msg_type": .string(type),
      "version": "5.4",
    ]
  }

  /// ISO 8601 in UTC with microseconds and a `Z`, as jupyter_client writes it.
  package static func isoNow() -> String {
    var tv = timeval()
    gettimeofday(&tv, nil)
    var t = time_t(tv.tv_sec)
    var parts = tm()
    gmtime_r(&t, &parts)
    return String(
      format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(tv.tv_usec))
  }
}

/// A message as it arrived: the routing identities it came with, and the message.
package struct Envelope: Sendable {
  package var identities: [Data]
  package var message: Message
  /// The HMAC signature it arrived with (empty when the connection has no key).
  package var signature: String = ""

  package init(identities: [Data], message: Message) {
    self.identities = identities
    self.message = message
  }
}

package enum WireError: Error, CustomStringConvertible, Equatable {
  case missingDelimiter
  case tooFewFrames(Int)
  case badSignature
  case invalidJSON(frame: String)

  package var description: String {
    switch self {
    case .missingDelimiter: "no <IDS|MSG> delimiter"
    case .tooFewFrames(let n): "only \(n) frames after the delimiter (need 5)"
    case .badSignature: "bad or missing HMAC signature"
    case .invalidJSON(let frame): "frame '\(frame)' is not a JSON object"
    }
  }
}

/// Encodes and decodes the multipart frames of the Jupyter wire protocol.
package struct WireCodec: Sendable {
  package static let delimiter = Data("<IDS|MSG>".utf8)
  package let signer: Signer

  package init(signer: Signer) { self.signer = signer }

  package func encode(_ message: Message, identities: [Data] = []) -> [Data] {
    let parts = [message.header, message.parentHeader, message.metadata, message.content]
      .map { Data($0.serialized.utf8) }
    return identities + [Self.delimiter, Data(signer.signature(for: parts).utf8)] + parts + message.buffers
  }

  /// Splits, verifies and parses frames; the signature is checked before any JSON is parsed.
  package func decode(_ frames: [Data]) throws -> Envelope {
    guard let split = frames.firstIndex(of: Self.delimiter) else { throw WireError.missingDelimiter }
    let rest = Array(frames[(split + 1)...])
    guard rest.count >= 5 else { throw WireError.tooFewFrames(rest.count) }
    let parts = Array(rest[1...4])
    let signature = String(decoding: rest[0], as: UTF8.self)
    guard signer.isValid(signature: signature, for: parts) else { throw WireError.badSignature }
    let names = ["header", "parent_header", "metadata", "content"]
    var values = [JSON]()
    for (name, part) in zip(names, parts) {
      guard let value = try? JSON(parsing: part), case .object = value else {
        throw WireError.invalidJSON(frame: name)
      }
      values.append(value)
    }
    guard values[0]["msg_type"]?.string != nil else { throw WireError.invalidJSON(frame: "header") }
    let message = Message(
      header: values[0], parentHeader: values[1], metadata: values[2], content: values[3],
      buffers: Array(rest.dropFirst(5)))
    var envelope = Envelope(identities: Array(frames[..<split]), message: message)
    envelope.signature = signature
    return envelope
  }
}
