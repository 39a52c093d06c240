import Foundation
import JupyterProtocol
import Kernel

/// A transport in memory: the test plays the client, delivering requests and reading what the kernel
/// sent, in the order it sent it.
final class RecordingTransport: KernelTransport, @unchecked Sendable {
  /// One message the kernel sent: a reply (or input request) on a channel, or an iopub message.
  enum Record {
    case reply(Channel, Message)
    case iopub(Message)

    var message: Message {
      switch self {
      case .reply(_, let message), .iopub(let message): message
      }
    }
    var parentID: String { message.parentHeader["msg_id"]?.string ?? "" }
    var isIdle: Bool {
      if case .iopub(let m) = self, m.type == "status", m.content["execution_state"] == "idle" { return true }
      return false
    }
    /// `type` for iopub, `channel:type` for replies: what the order tests compare.
    var label: String {
      switch self {
      case .reply(let channel, let message): "\(channel.rawValue):\(message.type)"
      case .iopub(let message):
        message.type == "status" ? "status:\(message.content["execution_state"]?.string ?? "")" : message.type
      }
    }
  }

  private let condition = NSCondition()
  private var inbox: [Channel: [Envelope]] = [:]
  private var woken = false
  private var records: [Record] = []
  private(set) var started = false

  func start() {
    sync { started = true }
  }

  func receive(on channels: Set<Channel>, timeout: Double?) -> (channel: Channel, envelope: Envelope)? {
    condition.lock()
    defer { condition.unlock() }
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    while true {
      for channel in [Channel.control, .stdin, .shell] where channels.contains(channel) {
        if let first = inbox[channel]?.first {
          inbox[channel]!.removeFirst()
          return (channel, first)
        }
      }
      if woken {
        woken = false
        return nil
      }
      if let deadline {
        if Date() >= deadline || !condition.wait(until: deadline) { return nil }
      } else {
        condition.wait()
      }
    }
  }

  func send(_ message: Message, to identities: [Data], on channel: Channel) {
    record(.reply(channel, message))
  }

  func publish(_ message: Message) { record(.iopub(message)) }

  func wake() {
    sync {
      woken = true
      condition.broadcast()
    }
  }

  private func sync<T>(_ body: () -> T) -> T {
    condition.lock()
    defer { condition.unlock() }
    return body()
  }

  private func record(_ record: Record) {
    sync {
      records.append(record)
      condition.broadcast()
    }
  }

  // MARK: The client's side

  /// Queues a request as a client would send it; returns its `msg_id`.
  @discardableResult
  func deliver(_ type: String, _ content: JSON = [:], on channel: Channel = .shell) -> String {
    let message = Message(
      header: Message.header(type: type, session: "client-session", username: "test"), content: content)
    sync {
      inbox[channel, default: []].append(Envelope(identities: [Data("client".utf8)], message: message))
      condition.broadcast()
    }
    return message.id
  }

  var all: [Record] { sync { records } }

  /// How many delivered requests on a channel the kernel has not taken.
  func unread(on channel: Channel) -> Int { sync { inbox[channel]?.count ?? 0 } }

  /// Everything sent in answer to one request, in order.
  func records(for id: String) -> [Record] { all.filter { $0.parentID == id } }

  /// Waits until `done` holds for what was sent so far; false after `timeout` seconds.
  @discardableResult
  func wait(timeout: Double = 5, until done: ([Record]) -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while !done(records) {
      if !condition.wait(until: deadline) { return done(records) }
    }
    return true
  }

  /// Waits for the request's `idle` and returns everything sent for it.
  func awaitIdle(_ id: String, timeout: Double = 5) -> [Record] {
    wait(timeout: timeout) { records in records.contains { $0.parentID == id && $0.isIdle } }
    return records(for: id)
  }

  /// The reply to a request, once it came.
  func reply(to id: String, timeout: Double = 5) -> Message? {
    var found: Message?
    wait(timeout: timeout) { records in
      found =
        records.first { record in
          if case .reply(let channel, _) = record, channel != .stdin, record.parentID == id { return true }
          return false
        }?.message
      return found != nil
    }
    return found
  }
}
