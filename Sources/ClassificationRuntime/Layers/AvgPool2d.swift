/// Average pooling, as PyTorch's `AvgPool2d(kernel_size, stride, padding)` (padding counts in the average).
public final class AvgPool2d: Layer {
  public let kernelSize, stride, padding: Int
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
  }
  public func callAsFunction(_ x: Tensor) -> Tensor {
    x.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
}
