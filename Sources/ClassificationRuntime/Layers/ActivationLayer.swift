/// A layer that is an activation another layer can apply as the last step of its own operation
/// (`FusingLayer`): `Sigmoid` and `ReLU`.
protocol ActivationLayer: Layer {
  var fusedActivation: FusedActivation { get }
}
