/// Maximum pooling, as PyTorch's `MaxPool2d(kernel_size, stride, padding)` (stride defaults to the kernel size).
public final class MaxPool2d: Layer {
  public let kernelSize, stride, padding: Int
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
  }
  public func callAsFunction(_ x: Tensor) -> Tensor {
    x.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
}
