/// A `Conv2d` layer, the activation after it and, if given, the 2×2 average pooling with stride 2 after
/// that (LeNet's layers) as one operation (`Conv2d`'s fusion). The pooling joins the operation when the
/// convolution's output has even sides; otherwise it runs after it.
final class ConvolutionBlock: Layer {
  let convolution: Conv2d
  let activation: FusedActivation
  let pooling: AvgPool2d?

  init(_ convolution: Conv2d, _ activation: FusedActivation, pooling: AvgPool2d?) {
    (self.convolution, self.activation, self.pooling) = (convolution, activation, pooling)
  }

  func callAsFunction(_ x: Tensor) -> Tensor {
    guard let pooling else { return convolution(x, activation: activation) }
    let size = x.rank == 4 ? convolution.outputSize((x.shape[2], x.shape[3])) : (1, 1)
    if size.0 % 2 == 0 && size.1 % 2 == 0 { return convolution(x, activation: activation, pooled: true) }
    return pooling(convolution(x, activation: activation))
  }
}
