/// A building block of a network: a function of a tensor whose parameters are found by reflection.
public protocol Layer: AnyObject {
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// A layer that behaves differently while training (dropout).
public protocol TrainingModeAware: AnyObject {
  var isTraining: Bool { get set }
}

extension Layer {
  /// The layer's parameters (found by reflection).
  public var parameters: [Tensor] { Reflection.parameters(in: self) }
}
