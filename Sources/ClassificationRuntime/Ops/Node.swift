/// How a tensor was computed (PyTorch's `grad_fn`): for each input, where its gradient goes, and the map
/// from the output's gradient to the inputs'.
///
/// The graph is made of nodes, not of tensors: a node holds the node of each intermediate input and the
/// tensor of each leaf input that wants a gradient (a parameter), never an intermediate tensor itself. An
/// intermediate result's values are kept only while someone needs them: a `backward` closure that captured
/// what it needs (a convolution its input, ReLU its output), or the caller. A residual block's sum, say,
/// needs nothing of its inputs, so they are freed once the next layer has read them.
final class Node {
  /// Per input: the node that computed it, when it is an intermediate result.
  var inputNodes: [Node?]
  /// Per input: the tensor itself, when it is a leaf that wants a gradient.
  var leaves: [Tensor?]
  /// Per input: its shape (a gradient must have it) and identity (for tests and diagnostics).
  let inputShapes: [[Int]]
  let inputIDs: [ObjectIdentifier]
  /// Given the gradient of the output, the gradient of each input (nil where none flows).
  /// Optional so that a graph being released can drop it (it may hold inputs) before the nodes behind it.
  var backward: ((Tensor) -> [Tensor?])?
  /// `backward` that may overwrite the output's gradient and return it as its input's: the backward pass
  /// calls it instead when it holds the only reference to that gradient (never a user's tensor, nor one
  /// shared with another input). Elementwise ops whose gradient is their incoming one, scaled, offer it.
  var backwardInPlace: ((Tensor) -> [Tensor?])?

  init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
    inputNodes = inputs.map(\.node)
    leaves = inputs.map { $0.node == nil && $0.requiresGrad ? $0 : nil }
    inputShapes = inputs.map(\.shape)
    inputIDs = inputs.map(ObjectIdentifier.init)
    self.backward = backward
  }

  /// Drops the closure and the edges (after the backward pass went through, or when the graph is released).
  func release() {
    backward = nil
    backwardInPlace = nil
    inputNodes = []
    leaves = []
  }
}
