/// VGG as in the book (section 8.2): `arch` lists (convolutions, output channels) of each VGG block. The
/// book trains the smaller `VGG(arch: [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)])` on 224×224 input;
/// VGG-11 is `[(1, 64), (1, 128), (2, 256), (2, 512), (2, 512)]`.
open class VGG: Classifier {
  public init(arch: [(Int, Int)], lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    let blocks: [Layer] = arch.map { VGG.block(numConvs: $0.0, outChannels: $0.1) }
    net = Sequential(
      blocks + [
        Flatten(), Linear(outputs: 4096), ReLU(), Dropout(0.5),
        Linear(outputs: 4096), ReLU(), Dropout(0.5), Linear(outputs: numClasses),
      ])
    initializerOnFirstBatch = .xavierUniform
  }

  /// The book's `vgg_block`: `numConvs` 3×3 convolutions with ReLU, then 2×2 max pooling.
  public static func block(numConvs: Int, outChannels: Int) -> Sequential {
    var layers: [Layer] = []
    for _ in 0..<numConvs { layers += [Conv2d(outputs: outChannels, kernelSize: 3, padding: 1), ReLU()] }
    return Sequential(layers + [MaxPool2d(kernelSize: 2, stride: 2)])
  }
}
