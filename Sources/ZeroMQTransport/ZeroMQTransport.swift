import Foundation
import JupyterProtocol
import Kernel
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The kernel's channels over ZeroMQ, bound to the addresses of a connection file: ROUTER sockets for
/// shell, control and stdin, a PUB socket for iopub, and the heartbeat on its own thread.
///
/// The dispatcher thread alone receives and sends on the ROUTER sockets; iopub is shared under a lock,
/// because cells publish from the execution thread.
package final class ZeroMQTransport: KernelTransport, @unchecked Sendable {
  private let codec: WireCodec
  private let context = ZMQContext()
  private let sockets: [Channel: ZMQSocket]
  private let iopub: Mutex<ZMQSocket>
  private let heartbeat: Heartbeat
  /// A pipe that `wake()` writes and every `receive` polls.
  private let wakeRead: Int32
  private let wakeWrite: Int32
  private let log: @Sendable (String) -> Void
  /// Signatures already accepted; the dispatcher thread alone receives, so it needs no lock.
  private var replays = ReplayGuard()

  package init(connection: ConnectionInfo, log: @escaping @Sendable (String) -> Void) throws {
    codec = WireCodec(signer: Signer(key: connection.key))
    self.log = log
    let curve = connection.curve
    if curve != nil && !ZMQSocket.hasCurve {
      throw ZMQError(
        refusing:
          "the connection file asks for CurveZMQ encryption, but this libzmq was built without CURVE (zmq_has(\"curve\") is false); install a libzmq with libsodium, or start the kernel without transport encryption"
      )
    }
    func secured(_ socket: ZMQSocket) throws -> ZMQSocket {
      if let curve { try socket.makeCurveServer(publicKey: curve.publicKey, secretKey: curve.secretKey) }
      return socket
    }
    var sockets: [Channel: ZMQSocket] = [:]
    for (channel, port) in [
      (Channel.shell, connection.shellPort), (.control, connection.controlPort), (.stdin, connection.stdinPort),
    ] {
      let socket = try secured(ZMQSocket(context, .router))
      try socket.bind(connection.endpoint(port: port))
      sockets[channel] = socket
    }
    self.sockets = sockets
    let iopub = try secured(ZMQSocket(context, .pub))
    try iopub.bind(connection.endpoint(port: connection.iopubPort))
    self.iopub = Mutex(iopub)
    heartbeat = try Heartbeat(context: context, endpoint: connection.endpoint(port: connection.hbPort), curve: curve)
    if curve != nil { log("CurveZMQ: every socket, the heartbeat too, is a CURVE server") }
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw ZMQError("pipe") }
    for fd in fds {
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    (wakeRead, wakeWrite) = (fds[0], fds[1])
  }

  package func start() { heartbeat.start() }

  /// Sends what the sockets still hold (a `shutdown_reply`, the last `status: idle`) before the process
  /// exits: closes them and ends the context, waiting at most `seconds`. Exiting without it could drop the
  /// reply to a shutdown request, and the client would wait for it in vain.
  package func close(waiting seconds: Double) {
    for socket in sockets.values { socket.close() }
    iopub.withLock { $0.close() }
    context.terminate(waiting: seconds)
  }

  package func receive(on channels: Set<Channel>, timeout: Double?) -> (channel: Channel, envelope: Envelope)? {
    // Control first: an interrupt or a shutdown must not wait behind queued shell requests.
    let order = [Channel.control, .stdin, .shell].filter(channels.contains)
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    while true {
      let remaining = deadline.map { max(0, Int($0.timeIntervalSinceNow * 1000)) } ?? -1
      let ready = ZMQPoller.poll(order.map { .socket(sockets[$0]!) } + [.fd(wakeRead)], timeout: remaining)
      for (channel, isReady) in zip(order, ready) where isReady {
        guard let frames = try? sockets[channel]!.receive(wait: false) else { continue }
        do {
          let envelope = try codec.decode(frames)
          guard replays.admit(signature: envelope.signature) else {
            log("dropped a replayed message on \(channel.rawValue): \(envelope.message.type) \(envelope.message.id)")
            continue
          }
          return (channel, envelope)
        } catch {
          log("dropped a message on \(channel.rawValue): \(error)")
        }
      }
      // A wake counts only when no message is ready, so a drain with timeout 0 sees every queued one.
      if ready.last == true {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
        return nil
      }
      if let deadline, Date() >= deadline { return nil }
    }
  }

  package func send(_ message: Message, to identities: [Data], on channel: Channel) {
    do { try sockets[channel]!.send(codec.encode(message, identities: identities)) } catch {
      log("cannot send \(message.type) on \(channel.rawValue): \(error)")
    }
  }

  package func publish(_ message: Message) {
    let frames = codec.encode(message, identities: [Data("kernel.\(message.type)".utf8)])
    iopub.withLock { socket in
      do { try socket.send(frames) } catch { log("cannot publish \(message.type): \(error)") }
    }
  }

  package func wake() {
    var byte: UInt8 = 1
    _ = write(wakeWrite, &byte, 1)
  }
}
