import Foundation
import Testing

@testable import ClassificationRuntime

/// The default generator, as a notebook uses it. The only tests that draw from it: every other suite has a
/// generator of its own (`SeededRandom`), so these see the default sequence alone.
@Suite(.serialized) struct RandomTests {
  @Test func randomTensorsRepeatAfterTheSameSeed() {
    Random.seed(11)
    let a = Tensor(randomNormal: [1000], std: 2)
    Random.seed(11)
    let b = Tensor(randomNormal: [1000], std: 2)
    #expect(a.scalars == b.scalars)
    let mean = a.mean().item
    let std = ((a - mean).squared().mean().item).squareRoot()
    #expect(abs(mean) < 0.2 && abs(std - 2) < 0.2)
    let u = Tensor(randomUniform: [1000], lower: 2, upper: 3)
    #expect(u.scalars.allSatisfy { $0 >= 2 && $0 < 3 })
    // The same numbers as a generator of one's own with that seed.
    var own = Xoshiro(seed: 11)
    #expect(Tensor(randomNormal: [1000], std: 2, using: &own).scalars == a.scalars)
  }

  /// Threads drawing at the same time take turns: together they draw exactly the values one thread would
  /// have drawn from the same seed (a generator advanced by two threads at once would lose or repeat some).
  @Test func threadsDrawingAtOnceShareTheSequenceWithoutCorruptingIt() {
    let (threads, draws) = (4, 2000)
    Random.seed(12)
    let sequential = (0..<(threads * draws)).map { _ in Random.uniform(count: 1, lower: 0, upper: 1)[0] }
    Random.seed(12)
    let lock = NSLock()
    var drawn: [Float] = []
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
      var mine: [Float] = []
      for _ in 0..<draws { mine.append(Random.uniform(count: 1, lower: 0, upper: 1)[0]) }
      lock.lock()
      drawn += mine
      lock.unlock()
    }
    #expect(drawn.sorted() == sequential.sorted())
  }

  /// `Random.using` gives the calling task its own sequence and leaves the default one where it was.
  @Test func aScopedGeneratorLeavesTheDefaultSequenceAlone() {
    Random.seed(13)
    let expected = Random.uniform(count: 5, lower: 0, upper: 1)
    Random.seed(13)
    var own = Xoshiro(seed: 99)
    let scoped = Random.using(&own) { Random.uniform(count: 5, lower: 0, upper: 1) }
    var again = Xoshiro(seed: 99)
    #expect(scoped == Random.uniform(count: 5, lower: 0, upper: 1, using: &again))
    #expect(own.next() == again.next(), "the scoped generator is handed back advanced")
    #expect(Random.uniform(count: 5, lower: 0, upper: 1) == expected)
  }
}
