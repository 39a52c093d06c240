import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(4)) struct LinearAlgebraGradientTests {
  @Test func matmulBothSides() {
    checkGradients([random([3, 4]), random([4, 2])]) { $0[0].matmul($0[1]) }
    checkGradients([random([1, 5]), random([5, 3])]) { matmul($0[0], $0[1]) }
  }

  /// `Linear`'s operation: x · W + b, alone and with the activation `Sequential` hands it.
  @Test func affineWithAndWithoutItsActivation() {
    checkGradients([random([3, 4]), random([4, 2]), random([2])]) { $0[0].affine($0[1], $0[2], activation: nil) }
    checkGradients([random([3, 4]), random([4, 2]), random([2])]) { $0[0].affine($0[1], $0[2], activation: .sigmoid) }
    let (x, w, b) = (random([2, 3]), random([3, 2]), random([2]))
    let expected = (x.matmul(w) + b).relu()
    #expect(zip(x.affine(w, b, activation: .relu).scalars, expected.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
  }

  /// `Sequential` runs a `Linear` and the activation after it as one operation: the same values and
  /// gradients as the layers apart.
}
