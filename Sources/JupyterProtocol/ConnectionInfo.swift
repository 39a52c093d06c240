import Foundation

/// The connection file Jupyter writes before it starts a kernel.
package struct ConnectionInfo: Sendable, Equatable {
  package enum Transport: String, Sendable { case tcp, ipc }

  package var transport: Transport
  package var ip: String
  package var shellPort: Int
  package var iopubPort: Int
  package var stdinPort: Int
  package var controlPort: Int
  package var hbPort: Int
  package var key: String
  package var signatureScheme: String
  /// CurveZMQ keys (Z85, 40 characters) when the client asked for transport encryption
  /// (jupyter_client's `transport_encryption`): every socket is then a CURVE server with them.
  package var curve: CurveKeys?

  package struct CurveKeys: Sendable, Equatable {
    package var publicKey: String
    package var secretKey: String
  }

  package init(json: JSON) throws {
    guard case .object = json else { throw ConnectionError.invalid("the connection file is not a JSON object") }
    let transportName = json["transport"]?.string ?? "tcp"
    guard let transport = Transport(rawValue: transportName) else {
      throw ConnectionError.invalid("unsupported transport '\(transportName)' (expected tcp or ipc)")
    }
    self.transport = transport
    ip = json["ip"]?.string ?? "127.0.0.1"
    shellPort = try Self.port("shell_port", in: json)
    iopubPort = try Self.port("iopub_port", in: json)
    stdinPort = try Self.port("stdin_port", in: json)
    controlPort = try Self.port("control_port", in: json)
    hbPort = try Self.port("hb_port", in: json)
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

  /// A port of the file: a number from 0 to 65535 (0, or none given, lets ZeroMQ pick one). Anything else
  /// is an error that names the field, rather than an endpoint ZeroMQ refuses later with "Invalid argument".
  private static func port(_ field: String, in json: JSON) throws -> Int {
    guard let value = json[field], value != .null else { return 0 }
    guard let port = value.int, (0...65535).contains(port) else {
      throw ConnectionError.invalid("\(field) must be a port number from 0 to 65535, not \(value.serialized)")
    }
    return port
  }

  /// A connection over ipc sockets named after `path` (no ports to pick), for a kernel in this process.
  package init(ipcPath path: String, key: String) {
    transport = .ipc
    ip = path
    (shellPort, iopubPort, stdinPort, controlPort, hbPort) = (1, 2, 3, 4, 5)
    self.key = key
    signatureScheme = "hmac-sha256"
    curve = nil
  }

  package init(contentsOfFile path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConnectionError.invalid("cannot read connection file \(path)")
    }
    try self.init(json: JSON(parsing: data))
  }

  /// The ZeroMQ endpoint for a port; port 0 asks ZeroMQ for a free one (tcp only).
  package func endpoint(port: Int) -> String {
    switch transport {
    case .tcp: "tcp://\(ip):\(port == 0 ? "*" : String(port))"
    // jupyter_client names ipc endpoints "<ip>-<port>".
    case .ipc: "ipc://\(ip)-\(port)"
    }
  }
}

package enum ConnectionError: Error, CustomStringConvertible {
  case invalid(String)
  package var description: String {
    switch self {
    case .invalid(let why): why
    }
  }
}
