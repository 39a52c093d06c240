internal import Foundation

/// Cross-entropy between logits `[N, C]` and class indices `[N]`, fused with a stable log-softmax:
/// exact at logits of ±1000, where softmax followed by log would give inf or nan.
///
/// With `averaged` the mean over the batch (shape `[]`), else one loss per example (`[N]`).
public func crossEntropy(_ logits: Tensor, _ labels: Tensor, averaged: Bool = true) -> Tensor {
  let logits = logits.rank == 2 ? logits : logits.reshaped([logits.shape[0], -1])
  require(
    labels.count == logits.shape[0],
    "crossEntropy: \(logits.shape[0]) rows of logits but labels of shape \(labels.shape)")
  let (n, c) = (logits.shape[0], logits.shape[1])
  let classes = labels.scalars.map { Int($0) }
  require(classes.allSatisfy { $0 >= 0 && $0 < c }, "crossEntropy: a label is outside 0..<\(c)")
  var losses = [Float](repeating: 0, count: n)
  var probabilities = [Float](repeating: 0, count: n * c)
  logits.scalars.withUnsafeBufferPointer { x in
    probabilities.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        let row = i * c
        var m = -Float.infinity
        for j in 0..<c { m = max(m, x[row + j]) }
        var total: Float = 0
        for j in 0..<c {
          let e = exp(x[row + j] - m)
          p[row + j] = e
          total += e
        }
        for j in 0..<c { p[row + j] /= total }
        // log Σ − (x_y − m): the shift cancels exactly, so large logits lose no precision.
        losses[i] = log(total) - (x[row + classes[i]] - m)
      }
    }
  }
  let scale: Float = averaged ? 1 / Float(n) : 1
  let value = averaged ? [losses.reduce(0, +) * scale] : losses
  return Tensor.result(shape: averaged ? [] : [n], scalars: value, inputs: [logits]) { grad in
    // d loss_i / d logits_i = softmax_i − onehot(y_i)
    var g = probabilities
    for i in 0..<n {
      let upstream = (averaged ? grad.scalars[0] : grad.scalars[i]) * scale
      g[i * c + classes[i]] -= 1
      for j in 0..<c { g[i * c + j] *= upstream }
    }
    return [Tensor(shape: [n, c], scalars: g)]
  }
}

/// The mean of squared differences.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
  (prediction - target).squared().mean()
}
