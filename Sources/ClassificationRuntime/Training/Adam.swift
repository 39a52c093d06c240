internal import Foundation

/// Adam (Kingma and Ba), with bias correction and optional L2 weight decay.
public final class Adam: Optimizer {
  public var lr: Double
  public let beta1, beta2, epsilon, weightDecay: Double
  private var moments: [ObjectIdentifier: (m: [Float], v: [Float])] = [:]
  private var t = 0

  public init(
    _ parameters: [Tensor], lr: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
    weightDecay: Double = 0
  ) {
    (self.lr, self.beta1, self.beta2, self.epsilon, self.weightDecay) = (lr, beta1, beta2, epsilon, weightDecay)
    super.init(parameters)
  }

  public override func step() {
    t += 1
    let (b1, b2, eps, wd) = (Float(beta1), Float(beta2), Float(epsilon), Float(weightDecay))
    let c1 = 1 - Foundation.pow(b1, Float(t))
    let c2 = 1 - Foundation.pow(b2, Float(t))
    let lr = Float(self.lr)
    for p in parameters {
      guard let grad = p.grad, grad.count == p.count else { continue }
      var (m, v) =
        moments[ObjectIdentifier(p)] ?? ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
      p.scalars.withUnsafeMutableBufferPointer { w in
        for i in 0..<w.count {
          let g = grad.scalars[i] + wd * w[i]
          m[i] = b1 * m[i] + (1 - b1) * g
          v[i] = b2 * v[i] + (1 - b2) * g * g
          w[i] -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
        }
      }
      moments[ObjectIdentifier(p)] = (m, v)
    }
  }

  /// PyTorch's names: `exp_avg` and `exp_avg_sq` for each parameter, and the `step` count.
  override func checkpointState() -> OptimizerState {
    var state = OptimizerState(counters: ["step": t])
    for (i, p) in parameters.enumerated() {
      guard let (m, v) = moments[ObjectIdentifier(p)] else { continue }
      state.buffers["\(i).exp_avg"] = m
      state.buffers["\(i).exp_avg_sq"] = v
    }
    return state
  }

  override func restore(_ state: OptimizerState) {
    t = state.counters["step"] ?? 0
    moments = [:]
    for (i, p) in parameters.enumerated() {
      if let m = state.buffers["\(i).exp_avg"], let v = state.buffers["\(i).exp_avg_sq"] {
        moments[ObjectIdentifier(p)] = (m, v)
      }
    }
  }
}
