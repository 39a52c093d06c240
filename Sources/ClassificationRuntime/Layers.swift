@_implementationOnly import Foundation

/// A building block of a network: a function of a tensor whose parameters are found by reflection.
public protocol Layer: AnyObject {
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// A layer that behaves differently while training (dropout).
public protocol TrainingModeAware: AnyObject {
  var isTraining: Bool { get set }
}

/// Finds parameters and layers inside an object by walking its stored properties (`Mirror`).
enum Reflection {
  /// Every object reachable through stored properties, arrays and optionals, each once, in order.
  static func objects(in root: AnyObject) -> [AnyObject] {
    var seen = Set<ObjectIdentifier>([ObjectIdentifier(root)])
    var found: [AnyObject] = []
    var pending: [Any] = [root]
    while !pending.isEmpty {
      let value = pending.removeFirst()
      var mirror: Mirror? = Mirror(reflecting: value)
      var children: [Any] = []
      while let m = mirror {
        children += m.children.map(\.value)
        mirror = m.superclassMirror
      }
      // Keep declaration order: superclass properties first, as written.
      for child in children {
        let unwrapped = unwrapOptional(child)
        guard let unwrapped else { continue }
        if let tensor = unwrapped as? Tensor {
          if seen.insert(ObjectIdentifier(tensor)).inserted { found.append(tensor) }
        } else if let object = unwrapped as? AnyObject, isModelObject(object) {
          if seen.insert(ObjectIdentifier(object)).inserted {
            found.append(object)
            pending.append(object)
          }
        } else if Mirror(reflecting: unwrapped).displayStyle == .collection || Mirror(reflecting: unwrapped).displayStyle == .tuple {
          pending.append(unwrapped)
        }
      }
    }
    return found
  }

  static func isModelObject(_ object: AnyObject) -> Bool { object is Layer || object is Module }

  static func unwrapOptional(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first.map(\.value)
  }

  /// The tensors that need gradients, in the order they were found.
  static func parameters(in root: AnyObject) -> [Tensor] {
    objects(in: root).compactMap { $0 as? Tensor }.filter(\.requiresGrad)
  }
}

extension Layer {
  /// The layer's parameters (found by reflection).
  public var parameters: [Tensor] { Reflection.parameters(in: self) }
}

/// A fully connected layer `x · W + b`; `Linear(outputs:)` learns its input size from the first batch.
public final class Linear: Layer {
  /// `[inputs, outputs]` (empty until the first batch for a lazy layer).
  public let weight: Tensor
  public let bias: Tensor
  public let outputs: Int

  /// Lazy, like PyTorch's `LazyLinear`: the input size comes from the first batch.
  public init(outputs: Int) {
    self.outputs = outputs
    weight = Tensor(shape: [0, outputs], scalars: [], requiresGrad: true)
    bias = Tensor(zeros: [outputs], requiresGrad: true)
  }

  public convenience init(inputs: Int, outputs: Int) {
    self.init(outputs: outputs)
    materialize(inputs: inputs)
  }

  public var isMaterialized: Bool { weight.count > 0 || weight.shape[0] > 0 }

  /// PyTorch's default: U(−1/√inputs, 1/√inputs) for weight and bias.
  func materialize(inputs: Int) {
    let bound = 1 / Float(inputs).squareRoot()
    weight.shape = [inputs, outputs]
    weight.scalars = Random.uniform(count: inputs * outputs, lower: -bound, upper: bound)
    bias.scalars = Random.uniform(count: outputs, lower: -bound, upper: bound)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, activation: nil) }

  /// The layer with the activation that follows it in a `Sequential`, as one operation.
  func callAsFunction(_ x: Tensor, activation: FusedActivation?) -> Tensor {
    let x = x.rank == 2 ? x : x.reshaped([x.shape[0], -1])
    if !isMaterialized { materialize(inputs: x.shape[1]) }
    precondition(x.shape[1] == weight.shape[0], "Linear expects \(weight.shape[0]) inputs, got a batch of shape \(x.shape)")
    return x.affine(weight, bias, activation: activation)
  }
}

/// A 2-D convolution layer; the input channel count comes from the first batch.
public final class Conv2d: Layer {
  /// `[outputs, inputs, kernelSize, kernelSize]`.
  public let weight: Tensor
  public let bias: Tensor
  public let outputs, kernelSize, padding, stride: Int

  public init(outputs: Int, kernelSize: Int, padding: Int = 0, stride: Int = 1) {
    (self.outputs, self.kernelSize, self.padding, self.stride) = (outputs, kernelSize, padding, stride)
    weight = Tensor(shape: [outputs, 0, kernelSize, kernelSize], scalars: [], requiresGrad: true)
    bias = Tensor(zeros: [outputs], requiresGrad: true)
  }

  public var isMaterialized: Bool { weight.shape[1] > 0 }

  func materialize(inputs: Int) {
    let fanIn = inputs * kernelSize * kernelSize
    let bound = 1 / Float(fanIn).squareRoot()
    weight.shape = [outputs, inputs, kernelSize, kernelSize]
    weight.scalars = Random.uniform(count: outputs * fanIn, lower: -bound, upper: bound)
    bias.scalars = Random.uniform(count: outputs, lower: -bound, upper: bound)
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, activation: nil) }

  /// The convolution with the activation (and the 2×2 average pooling) that follow it in a `Sequential`,
  /// as one operation.
  func callAsFunction(_ x: Tensor, activation: FusedActivation?, pooled: Bool = false) -> Tensor {
    precondition(x.rank == 4, "Conv2d expects [N, C, H, W], got \(x.shape)")
    if !isMaterialized { materialize(inputs: x.shape[1]) }
    return x.convolution(weight: weight, bias: bias, stride: stride, padding: padding, activation: activation, pooled: pooled)
  }

  /// The output height and width for an input of height and width `size`.
  func outputSize(_ size: (Int, Int)) -> (Int, Int) {
    ((size.0 + 2 * padding - kernelSize) / stride + 1, (size.1 + 2 * padding - kernelSize) / stride + 1)
  }
}

public final class ReLU: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

public final class Sigmoid: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
}

public final class Tanh: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}

/// `[N, …]` → `[N, rest]`.
public final class Flatten: Layer {
  public init() {}
  public func callAsFunction(_ x: Tensor) -> Tensor { x.flattened() }
}

/// Inverted dropout while training; the identity while evaluating.
public final class Dropout: Layer, TrainingModeAware {
  public let p: Float
  public var isTraining = true

  public init(_ p: Float) {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    self.p = p
  }

  public func callAsFunction(_ x: Tensor) -> Tensor { isTraining ? x.dropout(p) : x }
}

public final class AvgPool2d: Layer {
  public let kernelSize, stride: Int
  public init(kernelSize: Int, stride: Int? = nil) { (self.kernelSize, self.stride) = (kernelSize, stride ?? kernelSize) }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.avgPool2d(kernelSize: kernelSize, stride: stride) }
}

public final class MaxPool2d: Layer {
  public let kernelSize, stride: Int
  public init(kernelSize: Int, stride: Int? = nil) { (self.kernelSize, self.stride) = (kernelSize, stride ?? kernelSize) }
  public func callAsFunction(_ x: Tensor) -> Tensor { x.maxPool2d(kernelSize: kernelSize, stride: stride) }
}

/// Layers applied one after another.
public final class Sequential: Layer {
  public let layers: [Layer]

  public init(_ layers: Layer...) { self.layers = layers }
  public init(_ layers: [Layer]) { self.layers = layers }

  /// The layers in order. A `Conv2d` or `Linear` followed by `Sigmoid` or `ReLU` runs as one operation
  /// (`FusedActivation`; the values are the same), and so does a `Conv2d` and its activation followed
  /// by 2×2 average pooling with stride 2 (LeNet's layers) when the convolution's output has even sides.
  public func callAsFunction(_ x: Tensor) -> Tensor {
    var (x, i) = (x, 0)
    while i < layers.count {
      let activation = i + 1 < layers.count ? FusedActivation(layers[i + 1]) : nil
      if let activation, let convolution = layers[i] as? Conv2d {
        let pool = i + 2 < layers.count ? layers[i + 2] as? AvgPool2d : nil
        let size = x.rank == 4 ? convolution.outputSize((x.shape[2], x.shape[3])) : (1, 1)
        let pooled = pool.map { $0.kernelSize == 2 && $0.stride == 2 } == true && size.0 % 2 == 0 && size.1 % 2 == 0
        x = convolution(x, activation: activation, pooled: pooled)
        i += pooled ? 3 : 2
      } else if let activation, let linear = layers[i] as? Linear {
        x = linear(x, activation: activation)
        i += 2
      } else {
        x = layers[i](x)
        i += 1
      }
    }
    return x
  }
}

/// An activation that a layer applies itself, as part of its own operation: `Sequential` passes the
/// `Sigmoid` or `ReLU` that follows a `Conv2d` or `Linear` to it. That saves a pass over the layer's
/// whole output forward and another backward (and a tensor each way); the values are those of the two
/// layers one after the other.
enum FusedActivation {
  case sigmoid, relu

  init?(_ layer: Layer) {
    switch layer {
    case is Sigmoid: self = .sigmoid
    case is ReLU: self = .relu
    default: return nil
    }
  }

  /// y = f(x), in place.
  func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
    switch self {
    case .sigmoid: for i in 0..<count { values[i] = Ops.Sigmoid()(values[i]) }
    case .relu: for i in 0..<count { values[i] = Ops.ReLU()(values[i]) }
    }
  }

  /// The gradient before the activation from the one after it and the activation's output y.
  func gradient(_ grad: UnsafePointer<Float>, output y: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
    switch self {
    case .sigmoid: for i in 0..<count { target[i] = Ops.SigmoidGrad()(grad[i], 0, y[i]) }
    case .relu: for i in 0..<count { target[i] = y[i] > 0 ? grad[i] : 0 }
    }
  }

  /// `gradient` with the incoming gradient in `values`, replaced by the outgoing one. (With one pointer for
  /// both the loop is vectorised; the same pointer passed twice to `gradient` fails the compiler's overlap
  /// check and runs one value at a time.)
  func gradient(inPlace values: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
    switch self {
    case .sigmoid: for i in 0..<count { values[i] = Ops.SigmoidGrad()(values[i], 0, y[i]) }
    case .relu: for i in 0..<count { values[i] = y[i] > 0 ? values[i] : 0 }
    }
  }

  /// `apply` over a whole tensor's values, split across the cores when large.
  func apply(_ values: inout [Float]) {
    values.withUnsafeMutableBufferPointer { v in
      let base = v.baseAddress!
      Parallel.chunks(v.count, work: v.count) { range in apply(base + range.lowerBound, count: range.count) }
    }
  }

  /// `gradient` over whole tensors, split across the cores when large.
  func gradient(_ grad: [Float], output y: [Float]) -> [Float] {
    [Float](unsafeUninitializedCapacity: grad.count) { target, count in
      grad.withUnsafeBufferPointer { g in
        y.withUnsafeBufferPointer { y in
          let (gradBase, yBase, targetBase) = (g.baseAddress!, y.baseAddress!, target.baseAddress!)
          Parallel.chunks(g.count, work: g.count) { range in
            gradient(gradBase + range.lowerBound, output: yBase + range.lowerBound, into: targetBase + range.lowerBound, count: range.count)
          }
        }
      }
      count = grad.count
    }
  }
}
