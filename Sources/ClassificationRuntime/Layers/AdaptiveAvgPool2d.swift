/// Average pooling to a fixed output size whatever the input's, as PyTorch's `AdaptiveAvgPool2d`;
/// `AdaptiveAvgPool2d(outputSize: (1, 1))` is global average pooling (NiN, GoogLeNet, ResNet, DenseNet).
public final class AdaptiveAvgPool2d: Layer {
  public let outputSize: (Int, Int)
  public init(outputSize: (Int, Int)) { self.outputSize = outputSize }
  public convenience init(outputSize: Int) { self.init(outputSize: (outputSize, outputSize)) }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.adaptiveAvgPool2d(outputSize: outputSize) }
}
