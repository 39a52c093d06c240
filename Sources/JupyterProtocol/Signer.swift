@preconcurrency import Crypto
import Foundation

/// Signs and verifies messages with HMAC-SHA256 over the four JSON frames.
package struct Signer: Sendable {
  private let key: SymmetricKey?

  /// An empty key turns signing off, as the spec says.
  package init(key: String) {
    self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
  }

  package var isEnabled: Bool { key != nil }

  /// The hex digest for the frames, or "" when signing is off.
  package func signature(for frames: [Data]) -> String {
    guard let key else { return "" }
    var mac = HMAC<SHA256>(key: key)
    for frame in frames { mac.update(data: frame) }
    return Data(mac.finalize()).map { String(format: "%02x", $0) }.joined()
  }

  /// Checks a hex signature in constant time.
  package func isValid(signature: String, for frames: [Data]) -> Bool {
    guard let key else { return true }
    guard let expected = Data(hex: signature), expected.count == SHA256.byteCount else { return false }
    return HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: Data(frames.joined()), using: key)
  }
}

extension Data {
  init?(hex: String) {
    let chars = Array(hex.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var bytes = [UInt8]()
    bytes.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
      guard let hi = Self.nibble(chars[i]), let lo = Self.nibble(chars[i + 1]) else { return nil }
      bytes.append(hi << 4 | lo)
      i += 2
    }
    self.init(bytes)
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
