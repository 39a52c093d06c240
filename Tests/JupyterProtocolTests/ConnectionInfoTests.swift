import Testing

@testable import JupyterProtocol

@Suite struct ConnectionInfoTests {
  @Test func readsTheConnectionFileFields() throws {
    let info = try ConnectionInfo(json: [
      "transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003,
      "control_port": 5004, "hb_port": 5005, "key": "k", "signature_scheme": "hmac-sha256", "kernel_name": "swift",
    ])
    #expect(info.endpoint(port: info.shellPort) == "tcp://127.0.0.1:5001")
    #expect(info.endpoint(port: 0) == "tcp://127.0.0.1:*")
    #expect(info.key == "k")
  }

  @Test func ipcEndpointsFollowJupyterClient() throws {
    let info = try ConnectionInfo(json: ["transport": "ipc", "ip": "/tmp/kernel", "shell_port": 1])
    #expect(info.endpoint(port: 1) == "ipc:///tmp/kernel-1")
  }

  @Test func rejectsUnknownTransportAndScheme() {
    #expect(throws: ConnectionError.self) { try ConnectionInfo(json: ["transport": "udp"]) }
    #expect(throws: ConnectionError.self) { try ConnectionInfo(json: ["key": "k", "signature_scheme": "hmac-md5"]) }
    #expect(throws: ConnectionError.self) { try ConnectionInfo(json: [1, 2]) }
  }

  @Test func curveKeysAreReadWhenBothAreThere() throws {
    let publicKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    let secretKey = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
    let info = try ConnectionInfo(json: ["curve_publickey": .string(publicKey), "curve_secretkey": .string(secretKey)])
    #expect(info.curve == ConnectionInfo.CurveKeys(publicKey: publicKey, secretKey: secretKey))
    #expect(try ConnectionInfo(json: ["key": "k"]).curve == nil)
    #expect(throws: ConnectionError.self) { try ConnectionInfo(json: ["curve_publickey": .string(publicKey)]) }
    #expect(throws: ConnectionError.self) {
      try ConnectionInfo(json: ["curve_publickey": "short", "curve_secretkey": "short"])
    }
  }
}
