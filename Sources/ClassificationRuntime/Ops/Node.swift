internal import Foundation

/// How a tensor was computed: its inputs and the map from its gradient to theirs.
final class Node {
  var inputs: [Tensor]
  /// Given the gradient of the output, the gradient of each input (nil where none flows).
  /// Optional so that a graph being released can drop it (it holds the inputs too) before its inputs.
  var backward: ((Tensor) -> [Tensor?])?

  init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
    self.inputs = inputs
    self.backward = backward
  }
}
