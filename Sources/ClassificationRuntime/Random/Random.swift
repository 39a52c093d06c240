internal import Foundation
internal import Synchronization

/// The runtime's default random numbers: one seedable generator (`Xoshiro`) for the process, so a
/// notebook's runs can be repeated, behind a lock so that threads drawing at the same time take turns
/// instead of corrupting it.
///
/// Code that needs its own sequence passes a generator (`using:`), or runs under `Random.using(_:_:)`,
/// which gives the calling task a generator of its own in place of the default one.
public enum Random {
  private static let shared = Mutex(Xoshiro(seed: 0x5eed_2026))
  /// The generator that replaces the default one on this task (`using(_:_:)`), if any.
  @TaskLocal private static var scoped: ScopedGenerator?

  /// Restarts the sequence: parameters, shuffles and dropout masks repeat after the same seed.
  public static func seed(_ value: UInt64) { shared.withLock { $0 = Xoshiro(seed: value) } }

  /// Runs `body` on the default generator (or the task's own, under `using`), holding its lock.
  static func withGenerator<R>(_ body: (inout Xoshiro) -> R) -> R {
    if let scoped { return scoped.state.withLock { body(&$0) } }
    return shared.withLock { body(&$0) }
  }

  /// Runs `body` with every draw this task makes from the default generator taken from `generator`
  /// instead (advanced as the draws go): what a test that needs its own sequence, and must not disturb
  /// or be disturbed by others, wraps around code that draws internally (lazy layers, shuffles, dropout).
  static func using<R>(_ generator: inout Xoshiro, _ body: () throws -> R) rethrows -> R {
    let own = ScopedGenerator(generator)
    defer { generator = own.state.withLock { $0 } }
    return try $scoped.withValue(own) { try body() }
  }

  /// `using` for asynchronous work (a test's whole run).
  static func using<R>(_ generator: inout Xoshiro, _ body: () async throws -> R) async rethrows -> R {
    let own = ScopedGenerator(generator)
    defer { generator = own.state.withLock { $0 } }
    return try await $scoped.withValue(own) { try await body() }
  }

  /// The default generator (the task's own under `using`) as it stands: what a checkpoint keeps, so a
  /// resumed fit shuffles and drops out as the uninterrupted one would.
  static var generator: Xoshiro {
    get { withGenerator { $0 } }
    set { withGenerator { $0 = newValue } }
  }

  /// `count` values from U(lower, upper), from the default generator.
  static func uniform(count: Int, lower: Float, upper: Float) -> [Float] {
    withGenerator { uniform(count: count, lower: lower, upper: upper, using: &$0) }
  }

  static func uniform(count: Int, lower: Float, upper: Float, using generator: inout some RandomNumberGenerator)
    -> [Float]
  {
    (0..<count).map { _ in lower + (upper - lower) * generator.nextFloat() }
  }

  /// `count` values from N(mean, std²), from the default generator.
  static func normal(count: Int, mean: Float, std: Float) -> [Float] {
    withGenerator { normal(count: count, mean: mean, std: std, using: &$0) }
  }

  /// Box–Muller, two values per pair of uniforms.
  static func normal(count: Int, mean: Float, std: Float, using generator: inout some RandomNumberGenerator) -> [Float]
  {
    var out = [Float](repeating: 0, count: count)
    var i = 0
    while i < count {
      let u1 = max(generator.nextFloat(), .leastNormalMagnitude)
      let u2 = generator.nextFloat()
      let r = (-2 * Foundation.log(u1)).squareRoot()
      out[i] = mean + std * r * Foundation.cos(2 * .pi * u2)
      if i + 1 < count { out[i + 1] = mean + std * r * Foundation.sin(2 * .pi * u2) }
      i += 2
    }
    return out
  }
}
