public final class AvgPool2d: Layer {
  public let kernelSize, stride: Int
  public init(kernelSize: Int, stride: Int? = nil) {
    (self.kernelSize, self.stride) = (kernelSize, stride ?? kernelSize)
  }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.avgPool2d(kernelSize: kernelSize, stride: stride) }
}
