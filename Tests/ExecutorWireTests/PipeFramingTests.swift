import ExecutorWire
import Testing

@Suite struct PipeFramingTests {
  @Test func framesSurvivePartialReads() {
    let events: [ExecutorEvent] = [
      .display(DisplayBundle(data: ["text/plain": "é"], displayID: "d1")),
      .finished(.error(name: "E", value: "boom")),
      .inputRequest(prompt: "?", password: true),
    ]
    let bytes = events.flatMap { PipeFraming.frame($0) }
    var buffer = FrameBuffer()
    var decoded: [ExecutorEvent] = []
    // Feed three bytes at a time, as a pipe might.
    var offset = 0
    while offset < bytes.count {
      buffer.append(Array(bytes[offset..<min(offset + 3, bytes.count)]))
      offset += 3
      while let event = buffer.next(ExecutorEvent.self) {
        if let event { decoded.append(event) }
      }
    }
    #expect(decoded == events)
  }

  @Test func aCorruptFrameIsSkippedNotFatal() {
    var buffer = FrameBuffer()
    buffer.append([3, 0, 0, 0] + Array("{x}".utf8) + PipeFraming.frame(ExecutorEvent.ready))
    let first = buffer.next(ExecutorEvent.self)
    #expect(first != nil && first! == nil)
    #expect(buffer.next(ExecutorEvent.self) == .some(.ready))
  }
}

@Suite struct UTF8SplitTests {
  @Test func anIncompleteTrailingCharacterIsKeptForTheNextRead() {
    let text = Array("aé中🎉".utf8)  // 1 + 2 + 3 + 4 bytes
    for cut in 0...text.count {
      let (complete, rest) = splitCompleteUTF8(Array(text[..<cut]))
      #expect(String(validating: complete, as: UTF8.self) != nil, "cut at \(cut)")
      let (second, left) = splitCompleteUTF8(rest + text[cut...])
      #expect(complete + second == text && left.isEmpty, "cut at \(cut)")
    }
  }
}
