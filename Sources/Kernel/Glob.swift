/// A shell glob over a whole string, as SQLite's `GLOB` reads it: `*` any run, `?` one character,
/// `[abc]`, `[a-z]` and `[^…]` one of a set; everything else itself (a `*` or `?` in the text is
/// matched by the pattern's wildcards like any other character).
struct Glob {
  private enum Token: Equatable {
    case anyRun, anyOne
    case literal(Character)
    case set([ClosedRange<Character>], negated: Bool)
  }

  private let tokens: [Token]

  init(_ pattern: String) {
    var tokens: [Token] = []
    let characters = Array(pattern)
    var i = 0
    while i < characters.count {
      let c = characters[i]
      if c == "*" {
        if tokens.last != .anyRun { tokens.append(.anyRun) }
      } else if c == "?" {
        tokens.append(.anyOne)
      } else if c == "[", let (set, end) = Self.set(characters, from: i) {
        tokens.append(set)
        i = end
      } else {
        tokens.append(.literal(c))
      }
      i += 1
    }
    self.tokens = tokens
  }

  /// A `[…]` set starting at `start`, and the index of its `]`; nil when it is not closed.
  private static func set(_ characters: [Character], from start: Int) -> (Token, Int)? {
    var i = start + 1
    let negated = i < characters.count && characters[i] == "^"
    if negated { i += 1 }
    var ranges: [ClosedRange<Character>] = []
    var first = true
    while i < characters.count {
      let c = characters[i]
      if c == "]" && !first { return (.set(ranges, negated: negated), i) }
      if i + 2 < characters.count, characters[i + 1] == "-", characters[i + 2] != "]", c <= characters[i + 2] {
        ranges.append(c...characters[i + 2])
        i += 3
      } else {
        ranges.append(c...c)
        i += 1
      }
      first = false
    }
    return nil
  }

  /// Whether the whole of `text` matches; backtracks only to the last `*`, so it is linear in practice.
  func matches(_ text: String) -> Bool {
    let t = Array(text)
    var ti = 0
    var pi = 0
    var star: Int?
    var resume = 0
    while ti < t.count {
      if pi < tokens.count, tokens[pi] == .anyRun {
        star = pi
        resume = ti
        pi += 1
      } else if pi < tokens.count, accepts(tokens[pi], t[ti]) {
        pi += 1
        ti += 1
      } else if let star {
        pi = star + 1
        resume += 1
        ti = resume
      } else {
        return false
      }
    }
    while pi < tokens.count, tokens[pi] == .anyRun { pi += 1 }
    return pi == tokens.count
  }

  private func accepts(_ token: Token, _ c: Character) -> Bool {
    switch token {
    case .anyRun: false
    case .anyOne: true
    case .literal(let l): l == c
    case .set(let ranges, let negated): ranges.contains { $0.contains(c) } != negated
    }
  }
}
