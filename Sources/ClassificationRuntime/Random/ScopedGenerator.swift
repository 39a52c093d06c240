internal import Synchronization

/// A generator that one task uses in place of the default one (`Random.using`); locked, since the
/// task's child tasks see it too.
final class ScopedGenerator: Sendable {
  let state: Mutex<Xoshiro>

  init(_ generator: Xoshiro) { state = Mutex(generator) }
}
