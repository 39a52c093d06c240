import CZeroMQ
import Foundation
import JupyterProtocol
import Synchronization

package struct ZMQError: Error, CustomStringConvertible {
  package let code: Int32
  package let operation: String
  private let reason: String?
  init(_ operation: String) {
    code = zmq_errno()
    self.operation = operation
    reason = nil
  }
  /// A refusal that is no libzmq error (a setting this libzmq cannot honour).
  init(refusing reason: String) {
    code = 0
    operation = ""
    self.reason = reason
  }
  package var description: String { reason ?? "\(operation): \(String(cString: zmq_strerror(code)))" }
}

/// A ZeroMQ context; sockets live no longer than it.
package final class ZMQContext: @unchecked Sendable {
  let handle: UnsafeMutableRawPointer
  private let terminated = Mutex(false)

  package init() { handle = zmq_ctx_new() }

  /// Ends the context: blocking calls on its sockets return, and what their sockets still hold is sent
  /// (within each socket's linger) once they are closed. Waits at most `seconds`.
  func terminate(waiting seconds: Double) {
    guard terminated.withLock({ done in defer { done = true }; return !done }) else { return }
    zmq_ctx_shutdown(handle)
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread { [self] in
      zmq_ctx_term(handle)
      finished.signal()
    }
    _ = finished.wait(timeout: .now() + seconds)
  }

  deinit { if !terminated.withLock({ $0 }) { zmq_ctx_term(handle) } }
}

/// One ZeroMQ socket. It is owned by one thread at a time, as libzmq requires.
package final class ZMQSocket: @unchecked Sendable {
  package enum Kind { case router, pub, rep, dealer, req, sub }

  let handle: UnsafeMutableRawPointer

  package init(_ context: ZMQContext, _ kind: Kind) throws {
    let type: Int32 =
      switch kind {
      case .router: ZMQ_ROUTER
      case .pub: ZMQ_PUB
      case .rep: ZMQ_REP
      case .dealer: ZMQ_DEALER
      case .req: ZMQ_REQ
      case .sub: ZMQ_SUB
      }
    guard let handle = zmq_socket(context.handle, type) else { throw ZMQError("zmq_socket") }
    self.handle = handle
    var linger: Int32 = 1000
    zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
  }

  private let closed = Mutex(false)

  /// Closes the socket now (what it still holds is sent within its linger); the socket's owner calls it.
  package func close() {
    guard closed.withLock({ done in defer { done = true }; return !done }) else { return }
    zmq_close(handle)
  }

  deinit { close() }

  /// Whether this libzmq was built with CURVE security (libsodium or its own tweetnacl).
  package static var hasCurve: Bool { zmq_has("curve") == 1 }

  /// Makes this socket a CURVE server with the kernel's keys: peers must know the public key, and all
  /// traffic is encrypted. Call before `bind`.
  package func makeCurveServer(publicKey: String, secretKey: String) throws {
    var on: Int32 = 1
    guard zmq_setsockopt(handle, ZMQ_CURVE_SERVER, &on, MemoryLayout<Int32>.size) == 0,
      zmq_setsockopt(handle, ZMQ_CURVE_SECRETKEY, secretKey, 40) == 0,
      zmq_setsockopt(handle, ZMQ_CURVE_PUBLICKEY, publicKey, 40) == 0
    else { throw ZMQError("setting the CURVE keys") }
  }

  /// Binds and returns the endpoint actually bound (a port of 0 becomes a free one).
  @discardableResult
  package func bind(_ endpoint: String) throws -> String {
    guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError("bind \(endpoint)") }
    var buffer = [CChar](repeating: 0, count: 512)
    var size = buffer.count
    zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  package func connect(_ endpoint: String) throws {
    guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError("connect \(endpoint)") }
  }

  package func subscribe(_ prefix: String = "") {
    zmq_setsockopt(handle, ZMQ_SUBSCRIBE, prefix, prefix.utf8.count)
  }

  package func send(_ frames: [Data]) throws {
    for (i, frame) in frames.enumerated() {
      let flags: Int32 = i == frames.count - 1 ? 0 : ZMQ_SNDMORE
      let rc = frame.withUnsafeBytes { raw in
        zmq_send(handle, raw.baseAddress, raw.count, flags)
      }
      guard rc >= 0 else { throw ZMQError("send") }
    }
  }

  /// Receives one multipart message; nil when `wait` is false and nothing is queued.
  package func receive(wait: Bool = true) throws -> [Data]? {
    var frames = [Data]()
    while true {
      var msg = zmq_msg_t()
      zmq_msg_init(&msg)
      defer { zmq_msg_close(&msg) }
      let flags: Int32 = frames.isEmpty && !wait ? ZMQ_DONTWAIT : 0
      if zmq_msg_recv(&msg, handle, flags) < 0 {
        if zmq_errno() == EAGAIN && frames.isEmpty { return nil }
        if zmq_errno() == EINTR { continue }
        throw ZMQError("receive")
      }
      frames.append(Data(bytes: zmq_msg_data(&msg), count: zmq_msg_size(&msg)))
      if zmq_msg_more(&msg) == 0 { return frames }
    }
  }
}

/// Waits on sockets and plain file descriptors together.
package enum ZMQPoller {
  package enum Item {
    case socket(ZMQSocket)
    case fd(Int32)
  }

  /// Returns which items are readable; `timeout` in milliseconds, -1 waits forever.
  package static func poll(_ items: [Item], timeout: Int) -> [Bool] {
    var raw = items.map { item -> zmq_pollitem_t in
      switch item {
      case .socket(let s): zmq_pollitem_t(socket: s.handle, fd: -1, events: Int16(ZMQ_POLLIN), revents: 0)
      case .fd(let fd): zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0)
      }
    }
    let rc = zmq_poll(&raw, Int32(raw.count), timeout)
    if rc <= 0 { return Array(repeating: false, count: items.count) }
    return raw.map { $0.revents & Int16(ZMQ_POLLIN | ZMQ_POLLERR) != 0 }
  }
}

/// The heartbeat: a REP socket on its own thread that echoes every message unchanged.
package final class Heartbeat: @unchecked Sendable {
  private let socket: ZMQSocket
  private var thread: Thread?

  package init(context: ZMQContext, endpoint: String, curve: ConnectionInfo.CurveKeys? = nil) throws {
    socket = try ZMQSocket(context, .rep)
    if let curve { try socket.makeCurveServer(publicKey: curve.publicKey, secretKey: curve.secretKey) }
    try socket.bind(endpoint)
  }

  package func start() {
    let socket = self.socket
    let thread = Thread {
      while true {
        // (When the context ends, receive fails: the socket is closed so the context can finish.)
        guard let frames = try? socket.receive() else { return socket.close() }
        try? socket.send(frames)
      }
    }
    thread.name = "heartbeat"
    thread.start()
    self.thread = thread
  }
}
