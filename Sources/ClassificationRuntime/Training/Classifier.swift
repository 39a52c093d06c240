/// A model that classifies: cross-entropy loss, and accuracy plotted during validation (the seed section).
open class Classifier: Module {
  open override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor { crossEntropy(yHat, y) }

  /// Plots "val_loss" and "val_acc" for a validation batch.
  open override func validationStep(_ batch: Batch) {
    let yHat = self(batch.x)
    plot("loss", loss(yHat, batch.y), train: false)
    plot("acc", accuracy(yHat, batch.y), train: false)
  }

  /// The fraction of correct predictions (or the 0/1 vector when not `averaged`); not differentiable.
  ///
  /// Predictions are the argmax of each row of class scores, compared with the labels as class indices.
  open func accuracy(_ yHat: Tensor, _ y: Tensor, averaged: Bool = true) -> Tensor {
    let scores = yHat.reshaped([-1, yHat.shape.last ?? 1])
    let predictions = scores.argmax(axis: 1)
    let correct = predictions.equals(y.reshaped([-1]))
    return averaged ? Tensor(scalar: correct.scalars.reduce(0, +) / Float(max(correct.count, 1))) : correct
  }

  /// The most probable class of each example.
  public func predict(_ x: Tensor) -> [Int] {
    withoutGrad { self(x).argmax(axis: 1).scalars.map { Int($0) } }
  }

  /// The Bayes-optimal class under a loss matrix Λ (`Λ[y, y']` is the cost of predicting y' for truth y):
  /// the y' that minimises the expected cost Σ_y Λ[y, y'] p(y | x), i.e. the argmin of Λᵀp.
  public func predict(_ x: Tensor, lossMatrix: Tensor) -> [Int] {
    withoutGrad {
      let p = self(x).softmax(axis: 1)
      let c = p.shape[1]
      require(lossMatrix.shape == [c, c], "lossMatrix must be [\(c), \(c)], got \(lossMatrix.shape)")
      let expected = p.matmul(lossMatrix)  // [N, C]: row i, column y' = Σ_y p(y|x_i) Λ[y, y']
      return (0..<expected.shape[0]).map { i in
        let row = expected.scalars[(i * c)..<((i + 1) * c)]
        return row.indices.min { row[$0] < row[$1] }! - i * c
      }
    }
  }
}
