import Foundation
import FuzzSupport
import JupyterProtocol

// The connection file a client writes before it starts the kernel: either an error, or a connection whose
// every endpoint is one ZeroMQ can bind.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = bytes(start, count)
  guard let json = try? JSON(parsing: data) else { return 0 }
  guard let info = try? ConnectionInfo(json: json) else { return 0 }
  for port in [info.shellPort, info.iopubPort, info.stdinPort, info.controlPort, info.hbPort] {
    expect((0...65535).contains(port), "port \(port) accepted")
    let endpoint = info.endpoint(port: port)
    expect(endpoint.hasPrefix(info.transport == .tcp ? "tcp://" : "ipc://"), "endpoint \(endpoint)")
  }
  if let curve = info.curve {
    expect(curve.publicKey.utf8.count == 40 && curve.secretKey.utf8.count == 40, "curve keys of 40 characters")
  }
  let signer = Signer(key: info.key)
  let frames = [Data("{}".utf8)]
  expect(signer.isValid(signature: signer.signature(for: frames), for: frames), "the key signs and verifies")
  return 0
}

@_cdecl("FuzzConnection_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzConnection)
}
