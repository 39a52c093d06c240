import Testing

@testable import ClassificationRuntime

/// Gives each test (each case of a parameterised one) a generator of its own, seeded with `seed`, in
/// place of the runtime's default one: the random numbers it draws, also inside the runtime (lazy layers,
/// shuffles, dropout), are the same on every run, however many tests run at the same time.
struct SeededRandom: TestTrait, SuiteTrait, TestScoping {
  let seed: UInt64
  var isRecursive: Bool { true }

  func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? { testCase == nil ? nil : self }

  func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
    async throws
  {
    var generator = Xoshiro(seed: seed)
    try await Random.using(&generator) { try await function() }
  }
}

extension Trait where Self == SeededRandom {
  /// Runs each test with its own generator, seeded with `seed` (see `SeededRandom`).
  static func seededRandom(_ seed: UInt64) -> Self { SeededRandom(seed: seed) }
}
