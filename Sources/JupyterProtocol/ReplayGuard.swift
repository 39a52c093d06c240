/// Remembers the signatures of the messages a kernel accepted, so that the same signed frames sent
/// again (a replay) are refused, as jupyter_client's `Session` does with its digest history. It holds at
/// most `capacity` signatures; when full, the oldest tenth is forgotten.
package struct ReplayGuard: Sendable {
  package let capacity: Int
  private var seen: Set<String> = []
  private var order: [String] = []
  private var oldest = 0

  package init(capacity: Int = 1 << 16) { self.capacity = max(capacity, 10) }

  /// True for a signature not seen before (and remembers it); false for a replay. Unsigned messages
  /// (no key: every signature is empty) cannot be told apart and always pass.
  package mutating func admit(signature: String) -> Bool {
    guard !signature.isEmpty else { return true }
    guard seen.insert(signature).inserted else { return false }
    order.append(signature)
    if seen.count > capacity {
      let forget = capacity / 10
      for old in order[oldest..<(oldest + forget)] { seen.remove(old) }
      oldest += forget
      if oldest > capacity {
        order.removeFirst(oldest)
        oldest = 0
      }
    }
    return true
  }
}
