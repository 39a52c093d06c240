import Foundation
import JupyterProtocol

/// The three request channels of a kernel (iopub and heartbeat are the transport's own business).
package enum Channel: String, Sendable, CaseIterable {
  case shell, control, stdin
}

/// How the kernel sees its clients: messages in, replies and iopub messages out.
///
/// The kernel calls `receive`, `send` and `wake` from its dispatcher thread; `publish` and `wake` may
/// be called from any thread. ZeroMQ is one implementation (`ZeroMQTransport`); tests use one that
/// records in memory.
package protocol KernelTransport: AnyObject, Sendable {
  /// Starts whatever runs on its own (the heartbeat). Called once, before the first `receive`.
  func start()
  /// The next verified message on one of `channels`, control first when several are ready. Waits at
  /// most `timeout` seconds (nil: until one arrives); nil when the time ran out, or when `wake()` was
  /// called and no message is ready (a wake never hides a queued message).
  /// Messages that fail to decode or verify are logged and dropped here; they never reach the kernel.
  func receive(on channels: Set<Channel>, timeout: Double?) -> (channel: Channel, envelope: Envelope)?
  /// Sends a reply (or an `input_request`) to the peer with these routing identities.
  func send(_ message: Message, to identities: [Data], on channel: Channel)
  /// Publishes on iopub.
  func publish(_ message: Message)
  /// Makes a pending or the next `receive` return nil at once; safe from any thread.
  func wake()
}
