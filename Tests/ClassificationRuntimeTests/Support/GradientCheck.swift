import Testing

@testable import ClassificationRuntime

/// Compares the gradients `backward()` computes with central finite differences.
///
/// The checked function's output is reduced with fixed random weights, so every output element
/// matters and a wrong broadcast reduction cannot cancel out.
func checkGradients(
  _ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = 2e-2,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor
) {
  var generator = Xoshiro(seed: 7)
  for t in inputs {
    t.requiresGrad = true
    t.grad = nil
  }
  let probe = f(inputs)
  let weights = Tensor(randomUniform: probe.shape, lower: 0.5, upper: 1.5, using: &generator)
  func objective() -> Float { withoutGrad { (f(inputs) * weights).sum().item } }
  let loss = (f(inputs) * weights).sum()
  loss.backward()
  for (n, input) in inputs.enumerated() {
    let analytic = input.grad?.scalars ?? [Float](repeating: 0, count: input.count)
    #expect(
      input.grad == nil || input.grad!.shape == input.shape, "gradient shape of input \(n)",
      sourceLocation: sourceLocation)
    for i in 0..<input.count {
      let saved = input.scalars[i]
      input.scalars[i] = saved + epsilon
      let up = objective()
      input.scalars[i] = saved - epsilon
      let down = objective()
      input.scalars[i] = saved
      let numeric = (up - down) / (2 * epsilon)
      let scale = max(1, abs(numeric), abs(analytic[i]))
      #expect(
        abs(numeric - analytic[i]) <= tolerance * scale,
        "input \(n) element \(i): analytic \(analytic[i]) vs numeric \(numeric)", sourceLocation: sourceLocation)
    }
  }
}

/// Uniform values from the test's generator (see `SeededRandom`).
func random(_ shape: [Int], lower: Float = -1, upper: Float = 1) -> Tensor {
  Tensor(randomUniform: shape, lower: lower, upper: upper)
}
