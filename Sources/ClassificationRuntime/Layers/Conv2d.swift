/// A 2-D convolution layer, as PyTorch's `LazyConv2d`: the input channel count comes from the first batch.
/// Any stride and padding; `groups` splits the channels into groups convolved apart (ResNeXt, RegNet).
public final class Conv2d: Layer, FusingLayer {
  /// `[outputs, inputs / groups, kernelSize, kernelSize]`, as PyTorch's.
  public let weight: Tensor
  public let bias: Tensor
  public let outputs, kernelSize, padding, stride, groups: Int
  /// How its convolution is computed (`Backend.default` unless a test asks for another).
  var backend = Backend.default

  public init(outputs: Int, kernelSize: Int, padding: Int = 0, stride: Int = 1, groups: Int = 1) {
    require(
      outputs > 0 && kernelSize > 0 && padding >= 0 && stride > 0 && groups > 0,
      "Conv2d needs positive outputs, kernel size, stride and groups and a padding >= 0")
    require(outputs % groups == 0, "Conv2d's outputs (\(outputs)) must be a multiple of groups (\(groups))")
    (self.outputs, self.kernelSize, self.padding, self.stride, self.groups) =
      (outputs, kernelSize, padding, stride, groups)
    weight = Tensor(shape: [outputs, 0, kernelSize, kernelSize], scalars: [], requiresGrad: true)
    bias = Tensor(zeros: [outputs], requiresGrad: true)
  }

  public var isMaterialized: Bool { weight.shape[1] > 0 }

  func materialize(inputs: Int) {
    require(inputs % groups == 0, "Conv2d with \(groups) groups got \(inputs) input channels, not a multiple")
    let inputs = inputs / groups
    let fanIn = inputs * kernelSize * kernelSize
    let bound = 1 / Float(fanIn).squareRoot()
    weight.shape = [outputs, inputs, kernelSize, kernelSize]
    weight.scalars = Random.uniform(count: outputs * fanIn, lower: -bound, upper: bound)
    bias.scalars = Random.uniform(count: outputs, lower: -bound, upper: bound)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, activation: nil) }

  /// With the activation after it, and the 2×2 average pooling with stride 2 after that if there is one
  /// (`ConvolutionBlock`).
  func fused(with following: ArraySlice<Layer>) -> (layer: Layer, absorbed: Int)? {
    guard let activation = following.first as? ActivationLayer else { return nil }
    let pooling = following.dropFirst().first as? AvgPool2d
    let halves = pooling.map { $0.kernelSize == 2 && $0.stride == 2 && $0.padding == 0 } == true
    return (ConvolutionBlock(self, activation.fusedActivation, pooling: halves ? pooling : nil), halves ? 2 : 1)
  }

  /// The convolution with the activation (and the 2×2 average pooling) that follow it in a `Sequential`,
  /// as one operation.
  func callAsFunction(_ x: Tensor, activation: FusedActivation?, pooled: Bool = false) -> Tensor {
    require(x.rank == 4, "Conv2d expects [N, C, H, W], got \(x.shape)")
    if !isMaterialized { materialize(inputs: x.shape[1]) }
    require(
      x.shape[1] == weight.shape[1] * groups,
      "Conv2d expects \(weight.shape[1] * groups) input channels, got a batch of shape \(x.shape)")
    if groups > 1 {
      // Each group's channels through its own filters, joined along the channels.
      let (inputs, perGroup) = (weight.shape[1], outputs / groups)
      let parts = (0..<groups).map { g in
        x.sliced(alongAxis: 1, (g * inputs)..<((g + 1) * inputs)).convolution(
          weight: weight[(g * perGroup)..<((g + 1) * perGroup)], bias: bias[(g * perGroup)..<((g + 1) * perGroup)],
          stride: stride, padding: padding, activation: activation, pooled: false, backend: backend)
      }
      let joined = Tensor.concatenated(parts, alongAxis: 1)
      return pooled ? joined.avgPool2d(kernelSize: 2, stride: 2) : joined
    }
    return x.convolution(
      weight: weight, bias: bias, stride: stride, padding: padding, activation: activation, pooled: pooled,
      backend: backend)
  }

  /// The output height and width for an input of height and width `size`.
  func outputSize(_ size: (Int, Int)) -> (Int, Int) {
    ((size.0 + 2 * padding - kernelSize) / stride + 1, (size.1 + 2 * padding - kernelSize) / stride + 1)
  }
}
