extension Classifier {
  /// The confusion matrix of this model on a data loader (class names from Fashion-MNIST when there are ten).
  public func confusionMatrix(on loader: DataLoader?, labels: [String]? = nil) -> ConfusionMatrix {
    var counts: [[Int]] = []
    withoutGrad {
      for batch in loader.map(Array.init) ?? [] {
        let scores = self(batch.x)
        let c = scores.shape.last ?? 0
        if counts.isEmpty { counts = Array(repeating: Array(repeating: 0, count: c), count: c) }
        for (truth, guess) in zip(batch.y.scalars, scores.argmax(axis: 1).scalars) {
          counts[Int(truth)][Int(guess)] += 1
        }
      }
    }
    let names = labels ?? (counts.count == 10 ? FashionMNIST.labels : counts.indices.map(String.init))
    return ConfusionMatrix(counts: counts, labels: names)
  }
}
