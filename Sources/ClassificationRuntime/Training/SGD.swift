/// Minibatch stochastic gradient descent, with optional momentum and (L2) weight decay.
public final class SGD: Optimizer {
  public var lr: Double
  public let momentum: Double
  public let weightDecay: Double
  private var velocity: [ObjectIdentifier: [Float]] = [:]

  public init(_ parameters: [Tensor], lr: Double, momentum: Double = 0, weightDecay: Double = 0) {
    self.lr = lr
    self.momentum = momentum
    self.weightDecay = weightDecay
    super.init(parameters)
  }

  public override func step() {
    let lr = Float(self.lr)
    let mu = Float(momentum)
    let wd = Float(weightDecay)
    for p in parameters {
      guard let grad = p.grad, grad.count == p.count else { continue }
      if mu == 0 {
        p.scalars.withUnsafeMutableBufferPointer { w in
          grad.scalars.withUnsafeBufferPointer { g in
            for i in 0..<w.count { w[i] -= lr * (g[i] + wd * w[i]) }
          }
        }
        continue
      }
      var v = velocity[ObjectIdentifier(p)] ?? [Float](repeating: 0, count: p.count)
      p.scalars.withUnsafeMutableBufferPointer { w in
        grad.scalars.withUnsafeBufferPointer { g in
          v.withUnsafeMutableBufferPointer { v in
            for i in 0..<w.count {
              v[i] = mu * v[i] + g[i] + wd * w[i]
              w[i] -= lr * v[i]
            }
          }
        }
      }
      velocity[ObjectIdentifier(p)] = v
    }
  }

  /// PyTorch's name: `momentum_buffer`, for each parameter that has one.
  override func checkpointState() -> OptimizerState {
    var state = OptimizerState()
    for (i, p) in parameters.enumerated() {
      if let v = velocity[ObjectIdentifier(p)] { state.buffers["\(i).momentum_buffer"] = v }
    }
    return state
  }

  override func restore(_ state: OptimizerState) {
    velocity = [:]
    for (i, p) in parameters.enumerated() {
      if let v = state.buffers["\(i).momentum_buffer"] { velocity[ObjectIdentifier(p)] = v }
    }
  }
}
