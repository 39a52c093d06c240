internal import Foundation

extension Tensor {
  /// 2-D convolution of `[N, C, H, W]` with `weight` `[O, C, kh, kw]` (and `bias` `[O]`).
  ///
  /// The batch is cut into chunks of a few images, small enough that a chunk's working set stays in the
  /// core's cache, and each core takes its share of the chunks (a whole batch's column matrix, 10 MB for
  /// LeNet's first layer at batch 128, would go out to memory and back for every product). With stride 1,
  /// `ConvolutionLoops` compute from the padded images directly (see `ConvGeometry`); other strides, and
  /// `Backend.openBLASOnly`, use im2col + sgemm.
  public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
    conv2d(weight: weight, bias: bias, stride: stride, padding: padding, backend: .default)
  }

  /// `conv2d` on the given backend.
  func conv2d(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, backend: Backend) -> Tensor {
    convolution(
      weight: weight, bias: bias, stride: stride, padding: padding, activation: nil, pooled: false, backend: backend)
  }

  /// `conv2d` followed by `activation` and, if `pooled`, 2×2 average pooling with stride 2, as one
  /// operation (see `FusedActivation`): each chunk of the output gets the activation and the pooling
  /// while still in cache, and their gradients are taken while the chunk's output gradient is gathered.
  /// Pooling needs an even output height and width.
  func convolution(
    weight: Tensor, bias: Tensor?, stride: Int, padding: Int, activation: FusedActivation?, pooled: Bool,
    backend: Backend = .default
  ) -> Tensor {
    require(
      rank == 4 && weight.rank == 4 && shape[1] == weight.shape[1],
      "conv2d needs input [N, C, H, W] and weight [O, C, kh, kw] with the same C; got \(shape) and \(weight.shape)")
    let g = ConvGeometry(
      input: shape, kernel: (weight.shape[2], weight.shape[3]), outputs: weight.shape[0], stride: stride,
      padding: padding,
      activation: activation, pooled: pooled, backend: backend)
    require(
      g.outHeight > 0 && g.outWidth > 0,
      "conv2d: kernel \(weight.shape) does not fit input \(shape) with padding \(padding)")
    if let bias { require(bias.shape == [g.outputs], "conv2d bias must be [\(g.outputs)], got \(bias.shape)") }
    let biasScalars = bias?.scalars ?? [Float](repeating: 0, count: g.outputs)
    require(!pooled || (g.outHeight % 2 == 0 && g.outWidth % 2 == 0), "internal: pooling an odd-sized convolution")
    // The convolution's (activated) output; with pooling it is kept for the backward pass only.
    // (Every element is written by `forward`.)
    // (Never empty: an empty array's mutable buffer is the shared empty-array storage, which
    // `unsafeUninitializedCapacity: 0` and `withUnsafeMutableBufferPointer` write; ThreadSanitizer saw two
    // cores' convolutions race on it. One element stands in when there is no pooling.)
    var pooledOut: [Float] =
      pooled
      ? [Float](unsafeUninitializedCapacity: g.batch * g.outputs * g.outHeight * g.outWidth / 4) { $1 = $0.count } : [0]
    let out = [Float](unsafeUninitializedCapacity: g.batch * g.outputs * g.outHeight * g.outWidth) { out, count in
      scalars.withUnsafeBufferPointer { x in
        g.prepared(weight.scalars) { weights in
          biasScalars.withUnsafeBufferPointer { b in
            pooledOut.withUnsafeMutableBufferPointer { p in
              g.forward(
                input: x.baseAddress!, weights: weights, bias: b.baseAddress!, output: out.baseAddress!,
                pooled: pooled ? p.baseAddress : nil)
            }
          }
        }
      }
      count = out.count
    }
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    // The output is read backward only through a fused activation or pooling; otherwise it is not kept (the
    // next layer keeps it if it needs it).
    // A ReLU's backward needs only where its output is positive: a bit each instead of the float (the next
    // layer keeps the float if it needs it; max pooling keeps its winners, not its input).
    let masked = activation == .relu && !pooled
    let mask = masked ? ElementwiseLoops.positiveBits(out) : []
    let kept = (activation != nil || pooled) && !masked ? out : []
    let shape =
      pooled ? [g.batch, g.outputs, g.outHeight / 2, g.outWidth / 2] : [g.batch, g.outputs, g.outHeight, g.outWidth]
    // `inPlace`: the backward pass holds the only reference to the output's gradient, the input has the
    // output's shape (a "same" convolution with as many filters as channels: NiN's 1×1, ResNet's and VGG's
    // 3×3) and the transposed way computes the input gradient: a chunk's images are read into the chunk's
    // scratch before their input gradient is written, so it goes over the output gradient.
    let input = self
    func gradients(_ grad: Tensor, inPlace: Bool) -> [Tensor?] {
      let (wantInput, wantWeight, wantBias) = (input.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false)
      // (Written whole by the transposed way; col2im adds into zeros.) A buffer not wanted has one element,
      // never none: see `pooledOut` above.
      var dx =
        !wantInput || inPlace
        ? [0] : g.transposedInputGradient
          ? [Float](unsafeUninitializedCapacity: input.count) { $1 = $0.count } : [Float](repeating: 0, count: input.count)
      var weightPartials = [Float](repeating: 0, count: wantWeight ? Parallel.cores * g.weightGradientSize : 1)
      var biasPartials = [Float](repeating: 0, count: wantBias ? Parallel.cores * g.outputs : 1)
      func run(_ gradient: UnsafeMutablePointer<Float>) {
        kept.withUnsafeBufferPointer { y in
          mask.withUnsafeBufferPointer { mask in
            input.scalars.withUnsafeBufferPointer { x in
              g.prepared(weight.scalars) { weights in
                dx.withUnsafeMutableBufferPointer { dx in
                  weightPartials.withUnsafeMutableBufferPointer { dw in
                    biasPartials.withUnsafeMutableBufferPointer { db in
                      g.backward(
                        outGrad: gradient, output: y.baseAddress ?? UnsafePointer(gradient),
                        outputBits: masked ? mask.baseAddress : nil, input: x.baseAddress!, weights: weights,
                        // (An empty array's buffer may still have an address.)
                        weightPartials: wantWeight ? dw.baseAddress : nil, biasPartials: wantBias ? db.baseAddress : nil,
                        inputGrad: !wantInput ? nil : inPlace ? gradient : dx.baseAddress)
                    }
                  }
                }
              }
            }
          }
        }
      }
      if inPlace {
        grad.scalars.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
      } else {
        // (Only read: the pointer is mutable for the in-place way's sake.)
        grad.scalars.withUnsafeBufferPointer { run(UnsafeMutablePointer(mutating: $0.baseAddress!)) }
      }
      var grads: [Tensor?] = [
        !wantInput ? nil : inPlace ? Tensor(shape: input.shape, scalars: grad.scalars) : Tensor(shape: input.shape, scalars: dx),
        wantWeight ? Tensor(shape: weight.shape, scalars: g.weightGradient(weightPartials)) : nil,
      ]
      if bias != nil {
        grads.append(
          wantBias
            ? Tensor(
              shape: [g.outputs],
              scalars: (0..<g.outputs).map { c in
                (0..<Parallel.cores).reduce(Float(0)) { $0 + biasPartials[$1 * g.outputs + c] }
              }) : nil)
      }
      return grads
    }
    let result = Tensor.result(shape: shape, scalars: pooled ? pooledOut : out, inputs: inputs) {
      gradients($0, inPlace: false)
    }
    if g.transposedInputGradient && !pooled && shape == self.shape && !Earlier.uses("conv-in-place") {
      result.node?.backwardInPlace = { gradients($0, inPlace: true) }
    }
    return result
  }
}
