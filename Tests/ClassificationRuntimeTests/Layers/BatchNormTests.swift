import Foundation
import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(11)) struct BatchNormTests {
  /// Gradients of input, γ and β, per feature and per channel, while training (the statistics depend on
  /// the input) and while evaluating (running statistics are constants).
  @Test(arguments: [[6, 3], [3, 2, 3, 4]], [true, false])
  func gradients(_ shape: [Int], _ training: Bool) {
    let c = shape[1]
    let x = random(shape, lower: -2, upper: 2)
    let gamma = random([c], lower: 0.5, upper: 1.5)
    let beta = random([c])
    let runningMean = random([c])
    let runningVar = random([c], lower: 0.5, upper: 2)
    checkGradients([x, gamma, beta], epsilon: 1e-2, tolerance: 3e-2) {
      $0[0].batchNormalized(
        weight: $0[1], bias: $0[2], runningMean: runningMean.detached(), runningVar: runningVar.detached(),
        training: training, momentum: 0.1, eps: 1e-5)
    }
  }

  /// Running statistics and the output in evaluation mode, against values computed by hand: per channel
  /// of a [2, 2, 1, 2] batch, the mean, the biased variance for the output and the unbiased one for the
  /// running variance (PyTorch's rule), momentum 0.1.
  @Test func runningStatisticsAndEvaluationByHand() {
    // Channel 0: 1, 2 (image 0) and 3, 6 (image 1); channel 1: 0, 0 and 4, 4.
    let x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 0, 0, 3, 6, 4, 4])
    let bn = BatchNorm(features: 2)
    #expect(bn.parameters.count == 2 && bn.numBatchesTracked == 0)
    let y = bn(x)
    // Channel 0: mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5, unbiased 14 / 3.
    // Channel 1: mean 2, biased variance 4, unbiased 16 / 3.
    let expectedMean: [Float] = [0.1 * 3, 0.1 * 2]
    let expectedVar: [Float] = [0.9 + 0.1 * 14 / 3, 0.9 + 0.1 * 16 / 3]
    for i in 0..<2 {
      #expect(abs(bn.runningMean.scalars[i] - expectedMean[i]) < 1e-6)
      #expect(abs(bn.runningVar.scalars[i] - expectedVar[i]) < 1e-6)
    }
    #expect(bn.numBatchesTracked == 1)
    // Training output: (x − mean) / √(var + ε).
    let sd0 = (3.5 + 1e-5 as Float).squareRoot()
    #expect(abs(y.scalars[0] - (1 - 3) / sd0) < 1e-5 && abs(y.scalars[5] - (6 - 3) / sd0) < 1e-5)
    // Evaluation: the running statistics, with γ and β applied; nothing moves.
    bn.isTraining = false
    bn.weight.scalars = [2, 1]
    bn.bias.scalars = [0.5, -1]
    let z = bn(x)
    let expected0 = 2 * (3 - expectedMean[0]) / (expectedVar[0] + 1e-5).squareRoot() + 0.5
    let expected1 = 1 * (4 - expectedMean[1]) / (expectedVar[1] + 1e-5).squareRoot() - 1
    #expect(abs(z.scalars[4] - expected0) < 1e-5)
    #expect(abs(z.scalars[7] - expected1) < 1e-5)
    #expect(bn.numBatchesTracked == 1)
    #expect(abs(bn.runningMean.scalars[0] - expectedMean[0]) < 1e-6)
  }

  /// The fused layer and the book's from-scratch version agree, training and evaluating, per feature and
  /// per channel (the scratch one keeps the biased variance as its moving one, as the book's does, so the
  /// evaluation check uses a batch whose moving statistics were set the same way).
  @Test(arguments: [[8, 3], [4, 3, 5, 5]])
  func fusedMatchesScratch(_ shape: [Int]) {
    let x = random(shape, lower: -3, upper: 3)
    let fused = BatchNorm()
    let scratch = BatchNormScratch(numFeatures: shape[1], numDims: shape.count)
    let a = fused(x), b = scratch(x)
    #expect(zip(a.scalars, b.scalars).allSatisfy { abs($0 - $1) < 1e-4 })
    #expect(zip(fused.runningMean.scalars, scratch.movingMean.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
  }

  /// `Module.training` switches batch normalization: validation uses the running statistics, and the model's
  /// parameters are γ and β, once each, never the running statistics.
  @Test func moduleTrainingSwitchesItAndParametersExcludeState() {
    let model = BNLeNet()
    let x = random([4, 1, 28, 28])
    _ = model(x)
    let norms = Reflection.objects(in: model).compactMap { $0 as? BatchNorm }
    #expect(norms.count == 4)
    #expect(model.parameters.count == 5 * 2 + 4 * 2)
    #expect(model.parameters.map(\.count).reduce(0, +) == 44_878)
    let state = Set(norms.flatMap { [ObjectIdentifier($0.runningMean), ObjectIdentifier($0.runningVar)] })
    #expect(model.parameters.allSatisfy { !state.contains(ObjectIdentifier($0)) })
    model.training = false
    #expect(norms.allSatisfy { !$0.isTraining })
    let before = norms[0].runningMean.scalars
    let first = withoutGrad { model(x) }
    let second = withoutGrad { model(x) }
    #expect(first.scalars == second.scalars && norms[0].runningMean.scalars == before)
    model.training = true
    #expect(norms.allSatisfy { $0.isTraining })
  }

  /// The backward pass writes the gradients over the incoming one when it holds the only reference to it
  /// (`Node.backwardInPlace`), into buffers of their own otherwise (a user's gradient, here): the same
  /// gradients both ways, with and without a fused activation, training and evaluating, and the user's
  /// gradient left as it was.
  @Test(arguments: [[6, 4], [3, 2, 3, 4]], [true, false])
  func inPlaceBackwardMatchesTheOtherWay(_ shape: [Int], _ training: Bool) {
    let c = shape[1]
    for activation in [nil, FusedActivation.relu, .sigmoid] {
      let x = random(shape, lower: -2, upper: 2)
      let gamma = random([c], lower: 0.5, upper: 1.5)
      let beta = random([c])
      let (runningMean, runningVar) = (Tensor(zeros: [c]), Tensor(ones: [c]))
      let g = random(shape)
      let kept = g.scalars
      func grads(inPlace: Bool) -> [[Float]] {
        for t in [x, gamma, beta] {
          t.requiresGrad = true
          t.grad = nil
        }
        let y = x.batchNormalized(
          weight: gamma, bias: beta, runningMean: runningMean, runningVar: runningVar, training: training,
          momentum: 0.1, eps: 1e-5, activation: activation)
        // `y · 1`'s gradient is a fresh tensor nobody else holds; the user's `g` is held by the caller.
        if inPlace { (y * Tensor(scalar: 1)).backward(g) } else { y.backward(g) }
        return [x.grad!.scalars, gamma.grad!.scalars, beta.grad!.scalars]
      }
      let (separate, overwritten) = (grads(inPlace: false), grads(inPlace: true))
      #expect(separate == overwritten, "activation \(String(describing: activation))")
      #expect(g.scalars == kept)
    }
  }

  /// BatchNorm then ReLU (or Sigmoid) in a `Sequential` run as one operation, with the values and gradients of the two
  /// layers apart (each checked against finite differences above and in the elementwise tests; the fused one
  /// is not, as its ReLU's kink is within a finite difference's step of some inputs), training and evaluating.
  @Test(arguments: [[6, 4], [3, 2, 3, 4]], [true, false])
  func fusedWithItsActivationMatchesTheLayersApart(_ shape: [Int], _ training: Bool) {
    for sigmoid in [false, true] { checkFusion(shape, training, activation: sigmoid ? Sigmoid() : ReLU()) }
  }

  func checkFusion(_ shape: [Int], _ training: Bool, activation: Layer) {
    let x = random(shape, lower: -2, upper: 2)
    x.requiresGrad = true
    let norm = BatchNorm(features: shape[1])
    norm.weight.scalars = random([shape[1]], lower: 0.5, upper: 1.5).scalars
    norm.bias.scalars = random([shape[1]], lower: -0.5, upper: 0.5).scalars
    let net = Sequential(norm, activation)
    #expect(net.stages.count == 1 && net.stages[0] is BatchNormWithActivation)
    norm.isTraining = training
    let r = random(shape)
    let fused = net(x)
    (fused * r).sum().backward()
    let fusedGrads = [x, norm.weight, norm.bias].map { $0.grad!.scalars }
    for t in [x, norm.weight, norm.bias] { t.grad = nil }
    let apart = activation(norm(x))
    (apart * r).sum().backward()
    #expect(zip(fused.scalars, apart.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
    for (a, b) in zip(fusedGrads, [x, norm.weight, norm.bias].map { $0.grad!.scalars }) {
      #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
    }
  }

  @Test func lazyAndExplicitSizes() {
    let lazy = BatchNorm()
    #expect(!lazy.isMaterialized)
    _ = lazy(random([3, 7]))
    #expect(lazy.isMaterialized && lazy.features == 7 && lazy.runningVar.count == 7 && lazy.weight.count == 7)
    let sized = BatchNorm(features: 5)
    #expect(sized.weight.scalars == [Float](repeating: 1, count: 5) && sized.bias.scalars == [Float](repeating: 0, count: 5))
  }
}
