/// The ResNeXt block (the book's section 8.8): a 1×1 convolution to `bot_mul` × the channels, a grouped 3×3
/// convolution (groups of `groups` channels), a 1×1 convolution back, batch normalization after each, and
/// the input added back (through a 1×1 convolution when `use1x1Conv`).
public final class ResNeXtBlock: Layer {
  public let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d
  public let bn1: BatchNorm, bn2: BatchNorm, bn3: BatchNorm
  public let conv4: Conv2d?
  public let bn4: BatchNorm?

  public init(numChannels: Int, groups: Int, botMul: Double, use1x1Conv: Bool = false, strides: Int = 1) {
    let botChannels = Int((Double(numChannels) * botMul).rounded())
    conv1 = Conv2d(outputs: botChannels, kernelSize: 1)
    conv2 = Conv2d(outputs: botChannels, kernelSize: 3, padding: 1, stride: strides, groups: botChannels / groups)
    conv3 = Conv2d(outputs: numChannels, kernelSize: 1)
    (bn1, bn2, bn3) = (BatchNorm(), BatchNorm(), BatchNorm())
    conv4 = use1x1Conv ? Conv2d(outputs: numChannels, kernelSize: 1, stride: strides) : nil
    bn4 = use1x1Conv ? BatchNorm() : nil
  }

  public func callAsFunction(_ x: Tensor) -> Tensor {
    var y = bn1(conv1(x), activation: .relu)
    y = bn2(conv2(y), activation: .relu)
    y = bn3(conv3(y))
    let shortcut = conv4.map { bn4!($0(x)) } ?? x
    return (y + shortcut).relu()
  }
}

/// AnyNet, the design space of the book's section 8.8: a stem, stages of ResNeXt blocks given by `arch`
/// (depth, channels, groups, bottleneck multiplier), a head. Layers are named `0` (the stem),
/// `stage1`…, `head`, as the book's `add_module` names them.
open class AnyNet: Classifier {
  public init(arch: [(depth: Int, numChannels: Int, groups: Int, botMul: Double)], stemChannels: Int,
              lr: Double = 0.1, numClasses: Int = 10) {
    super.init(lr: lr)
    let net = Sequential(stem(numChannels: stemChannels))
    for (i, s) in arch.enumerated() {
      net.add(stage(depth: s.depth, numChannels: s.numChannels, groups: s.groups, botMul: s.botMul), name: "stage\(i + 1)")
    }
    net.add(Sequential(AdaptiveAvgPool2d(outputSize: (1, 1)), Flatten(), Linear(outputs: numClasses)), name: "head")
    self.net = net
    initializerOnFirstBatch = .xavierUniform
  }

  open func stem(numChannels: Int) -> Sequential {
    Sequential(Conv2d(outputs: numChannels, kernelSize: 3, padding: 1, stride: 2), BatchNorm(), ReLU())
  }

  open func stage(depth: Int, numChannels: Int, groups: Int, botMul: Double) -> Sequential {
    Sequential(
      (0..<depth).map { i -> Layer in
        i == 0
          ? ResNeXtBlock(numChannels: numChannels, groups: groups, botMul: botMul, use1x1Conv: true, strides: 2)
          : ResNeXtBlock(numChannels: numChannels, groups: groups, botMul: botMul)
      })
  }
}

/// RegNetX-32 as the book trains it (section 8.8.3), for 96×96 input: stem 32 channels, two stages of depths
/// 4 and 6 with 32 and 80 channels, groups of 16, bottleneck multiplier 1.
open class RegNetX32: AnyNet {
  public init(lr: Double = 0.1, numClasses: Int = 10) {
    let (stemChannels, groups, botMul) = (32, 16, 1.0)
    let (depths, channels) = ((4, 6), (32, 80))
    super.init(
      arch: [(depths.0, channels.0, groups, botMul), (depths.1, channels.1, groups, botMul)],
      stemChannels: stemChannels, lr: lr, numClasses: numClasses)
  }
}
