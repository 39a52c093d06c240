import Foundation

/// The connection file Jupyter writes before it starts a kernel.
public struct ConnectionInfo: Sendable, Equatable {
  public enum Transport: String, Sendable { case tcp, ipc }

  public var transport: Transport
  public var ip: String
  public var shellPort: Int
  public var iopubPort: Int
  public var stdinPort: Int
  public var controlPort: Int
  public var hbPort: Int
  public var key: String
  public var signatureScheme: String
  /// CurveZMQ keys (Z85, 40 characters) when the client asked for transport encryption
  /// (jupyter_client's `transport_encryption`): every socket is then a CURVE server with them.
  public var curve: CurveKeys?

  public struct CurveKeys: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String
  }

  public init(json: JSON) throws {
    guard case .object = json else { throw ConnectionError.invalid("the connection file is not a JSON object") }
    let transportName = json["transport"]?.string ?? "tcp"
    guard let transport = Transport(rawValue: transportName) else {
      throw ConnectionError.invalid("unsupported transport '\(transportName)' (expected tcp or ipc)")
    }
    self.transport = transport
    ip = json["ip"]?.string ?? "127.0.0.1"
    shellPort = json["shell_port"]?.int ?? 0
    iopubPort = json["iopub_port"]?.int ?? 0
    stdinPort = json["stdin_port"]?.int ?? 0
    controlPort = json["control_port"]?.int ?? 0
    hbPort = json["hb_port"]?.int ?? 0
    key = json["key"]?.string ?? ""
    signatureScheme = json["signature_scheme"]?.string ?? "hmac-sha256"
    guard signatureScheme == "hmac-sha256" || key.isEmpty else {
      throw ConnectionError.invalid("unsupported signature_scheme '\(signatureScheme)' (expected hmac-sha256)")
    }
    switch (json["curve_publickey"]?.string, json["curve_secretkey"]?.string) {
    case (nil, nil): curve = nil
    case (let publicKey?, let secretKey?):
      guard publicKey.utf8.count == 40, secretKey.utf8.count == 40 else {
        throw ConnectionError.invalid("curve_publickey and curve_secretkey must be 40-character Z85 keys")
      }
      curve = CurveKeys(publicKey: publicKey, secretKey: secretKey)
    default:
      throw ConnectionError.invalid("the connection file has only one of curve_publickey and curve_secretkey")
    }
  }

  /// A connection over ipc sockets named after `path` (no ports to pick), for a kernel in this process.
  public init(ipcPath path: String, key: String) {
    transport = .ipc
    ip = path
    (shellPort, iopubPort, stdinPort, controlPort, hbPort) = (1, 2, 3, 4, 5)
    self.key = key
    signatureScheme = "hmac-sha256"
    curve = nil
  }

  public init(contentsOfFile path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConnectionError.invalid("cannot read connection file \(path)")
    }
    try self.init(json: JSON(parsing: data))
  }

  /// The ZeroMQ endpoint for a port; port 0 asks ZeroMQ for a free one (tcp only).
  public func endpoint(port: Int) -> String {
    switch transport {
    case .tcp: "tcp://\(ip):\(port == 0 ? "*" : String(port))"
    // jupyter_client names ipc endpoints "<ip>-<port>".
    case .ipc: "ipc://\(ip)-\(port)"
    }
  }
}

public enum ConnectionError: Error, CustomStringConvertible {
  case invalid(String)
  public var description: String {
    switch self {
    case .invalid(let why): why
    }
  }
}
