import Foundation
import Testing

@testable import JupyterProtocol

@Suite struct SignerTests {
  // Known answers from Python:
  //   hmac.new(key, b"".join(frames), hashlib.sha256).hexdigest()
  @Test func signatureMatchesPythonHmac() {
    let signer = Signer(key: "a0436f6c-1916-498b-8eb9-e81ab9368e84")
    let frames = [#"{"msg_id":"1","msg_type":"kernel_info_request"}"#, "{}", "{}", "{}"].map { Data($0.utf8) }
    #expect(signer.signature(for: frames) == "23d21ade63d42fc48bbe2721cd9045ceffb260c3521b7d246495f23adfca79a0")
  }

  @Test func signatureCoversUTF8Bytes() {
    let frames = [#"{"a":"é中"}"#, #"{"x":1}"#, "{}", #"{"code":"print(\"hi\")"}"#].map { Data($0.utf8) }
    #expect(
      Signer(key: "k").signature(for: frames) == "1cbaa117e00715d47dadcb3fc992e4814dc386bce0104a7fc48e3efe70a7d4f3")
  }

  @Test func verificationRejectsTamperingAndAcceptsUppercaseHex() {
    let signer = Signer(key: "secret")
    let frames = ["{\"msg_type\":\"x\"}", "{}", "{}", "{}"].map { Data($0.utf8) }
    let good = signer.signature(for: frames)
    #expect(signer.isValid(signature: good, for: frames))
    #expect(signer.isValid(signature: good.uppercased(), for: frames))
    var tampered = frames
    tampered[3] = Data("{\"code\":\"evil\"}".utf8)
    #expect(!signer.isValid(signature: good, for: tampered))
    #expect(!signer.isValid(signature: "", for: frames))
    #expect(!signer.isValid(signature: String(good.dropLast(2)), for: frames))
    #expect(!signer.isValid(signature: "zz" + good.dropFirst(2), for: frames))
  }

  @Test func emptyKeyTurnsSigningOff() {
    let signer = Signer(key: "")
    #expect(!signer.isEnabled)
    #expect(signer.signature(for: [Data("{}".utf8)]) == "")
    #expect(signer.isValid(signature: "anything", for: []))
  }
}
