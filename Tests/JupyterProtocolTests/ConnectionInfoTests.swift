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

  /// Found by `scripts/fuzz.sh` (FuzzConnection): a port out of range, or not a number, was taken as it was
  /// (or as 0, a random port), and ZeroMQ refused the endpoint later with only "Invalid argument".
  @Test func aPortMustBeANumberFrom0To65535() throws {
    let wrong: [(String, JSON)] = [("hb_port", 66214), ("shell_port", -1), ("iopub_port", "5002"), ("stdin_port", 1.5)]
    for (field, value) in wrong {
      var json: JSON = ["transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "key": "k"]
      json[field] = value
      #expect {
        try ConnectionInfo(json: json)
      } throws: { error in
        "\(error)" == "\(field) must be a port number from 0 to 65535, not \(value.serialized)"
      }
    }
    let info = try ConnectionInfo(json: ["shell_port": 65535, "iopub_port": 0, "stdin_port": nil, "control_port": 5.0])
    #expect([info.shellPort, info.iopubPort, info.stdinPort, info.controlPort, info.hbPort] == [65535, 0, 0, 5, 0])
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
