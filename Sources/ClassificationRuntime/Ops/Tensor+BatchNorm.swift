extension Tensor {
  /// Batch normalization of `[N, C]` (per feature) or `[N, C, H, W]` (per channel), as PyTorch's
  /// `F.batch_norm`: while `training`, each channel is normalised with the batch's mean and biased variance,
  /// and `runningMean` / `runningVar` move towards them by `momentum` (the variance unbiased, n / (n − 1), as
  /// PyTorch keeps it); otherwise the running statistics normalise. Then `weight · x̂ + bias`, per channel.
  ///
  /// One pass per channel for the statistics and one for the output; the backward pass recomputes x̂ from the
  /// input (kept anyway by the layer before) instead of keeping a normalised copy of the whole batch.
  ///
  /// With `activation`, ReLU or the sigmoid follows as part of the same operation (a `Sequential`'s BatchNorm
  /// and ReLU or Sigmoid, a residual block's): one pass less each way, and the activation's output is not
  /// kept for the backward pass, which recomputes it from the input.
  func batchNormalized(
    weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor, training: Bool, momentum: Float,
    eps: Float, activation: FusedActivation? = nil
  ) -> Tensor {
    require(rank == 2 || rank == 4, "BatchNorm expects [N, C] or [N, C, H, W], got \(shape)")
    if rank == 2 {
      // Per feature: the batch as one image of C channels of N values, [1, C, N, 1], so each feature's
      // values are contiguous for the channel loops (in [N, C] they are C apart, one value per image).
      let (n, c) = (shape[0], shape[1])
      return transposed().reshaped([1, c, n, 1]).batchNormalized(
        weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar, training: training,
        momentum: momentum, eps: eps, activation: activation
      ).reshaped([c, n]).transposed()
    }
    let (n, c) = (shape[0], shape[1])
    let spatial = rank == 4 ? shape[2] * shape[3] : 1
    require(
      weight.shape == [c] && bias.shape == [c] && runningMean.shape == [c] && runningVar.shape == [c],
      "BatchNorm of \(weight.shape.first ?? 0) features got input of shape \(shape) (\(c) channels)")
    let perChannel = n * spatial
    require(
      !training || perChannel > 1,
      "BatchNorm needs more than one value per channel while training, got input of shape \(shape)")
    // Each channel's mean and 1/√(var + ε): the batch's while training, the running ones otherwise.
    var mean = [Float](repeating: 0, count: c)
    var invStd = [Float](repeating: 0, count: c)
    let plane = c * spatial
    if training {
      var variance = [Float](repeating: 0, count: c)
      scalars.withUnsafeBufferPointer { x in
        mean.withUnsafeMutableBufferPointer { mean in
          variance.withUnsafeMutableBufferPointer { variance in
            let (x, meanBase, varianceBase) = (x.baseAddress!, mean.baseAddress!, variance.baseAddress!)
            Parallel.chunks(c, work: count) { channels in
              for ch in channels {
                let (m, v) = BatchNormLoops.statistics(x + ch * spatial, images: n, pitch: plane, count: spatial)
                meanBase[ch] = m
                varianceBase[ch] = v
              }
            }
          }
        }
      }
      for ch in 0..<c { invStd[ch] = 1 / (variance[ch] + eps).squareRoot() }
      // The running statistics, outside the graph (as PyTorch updates its buffers).
      let unbiased = Float(perChannel) / Float(perChannel - 1)
      for ch in 0..<c {
        runningMean.scalars[ch] = (1 - momentum) * runningMean.scalars[ch] + momentum * mean[ch]
        runningVar.scalars[ch] = (1 - momentum) * runningVar.scalars[ch] + momentum * variance[ch] * unbiased
      }
    } else {
      for ch in 0..<c {
        mean[ch] = runningMean.scalars[ch]
        invStd[ch] = 1 / (runningVar.scalars[ch] + eps).squareRoot()
      }
    }
    let (gamma, beta) = (weight.scalars, bias.scalars)
    let out = [Float](unsafeUninitializedCapacity: count) { out, written in
      scalars.withUnsafeBufferPointer { x in
        let (x, y) = (x.baseAddress!, out.baseAddress!)
        Parallel.chunks(c, work: count) { channels in
          for ch in channels {
            let scale = gamma[ch] * invStd[ch]
            let shift = beta[ch] - mean[ch] * scale
            for image in 0..<n {
              let offset = image * plane + ch * spatial
              BatchNormLoops.affine(x + offset, into: y + offset, count: spatial, scale: scale, shift: shift)
              activation?.apply(y + offset, count: spatial)
            }
          }
        }
      }
      written = count
    }
    // Per channel: Σ dy and Σ dy · x̂; then dx = γ/σ · (dy − Σdy/M − x̂ · Σ(dy·x̂)/M) while training (the
    // statistics depend on x), dx = γ/σ · dy otherwise. With an activation, dy is first the gradient before
    // it (its output recomputed from the input, stretch by stretch, in the same pass as the sums).
    // `inPlace`: the backward pass holds the only reference to the output's gradient, which becomes the gradient
    // before the activation and then the input's (each element depends on its own and the channel's sums): no
    // buffer of the batch's size besides it. Otherwise two (the gradient before the activation, and dx).
    let input = self
    func gradients(_ outGrad: Tensor, inPlace: Bool) -> [Tensor?] {
      let wantInput = input.requiresGrad
      var sumGrad = [Float](repeating: 0, count: c)
      var sumGradXHat = [Float](repeating: 0, count: c)
      // One element when unused, never none: an empty array's mutable buffer is the runtime's shared empty
      // storage, which `withUnsafeMutableBufferPointer` writes (ThreadSanitizer saw two cores race on it).
      var activated =
        [Float](unsafeUninitializedCapacity: activation == nil || inPlace ? 1 : outGrad.count) { $1 = $0.count }
      var dx = [Float]()
      func run(_ outBase: UnsafeMutablePointer<Float>) {
        activated.withUnsafeMutableBufferPointer { activatedG in
          input.scalars.withUnsafeBufferPointer { x in
            let x = x.baseAddress!
            // Where the gradient before the activation goes: over the incoming one, or its own buffer.
            let g = activation == nil || inPlace ? outBase : activatedG.baseAddress!
            sumGrad.withUnsafeMutableBufferPointer { sg in
              sumGradXHat.withUnsafeMutableBufferPointer { sgx in
                let (sg, sgx) = (sg.baseAddress!, sgx.baseAddress!)
                Parallel.chunks(c, work: input.count) { channels in
                  // The activation's output for one stretch.
                  let y = UnsafeMutablePointer<Float>.allocate(capacity: activation == nil ? 0 : spatial)
                  defer { y.deallocate() }
                  for ch in channels {
                    var (total, weighted) = (Double(0), Double(0))
                    let scale = gamma[ch] * invStd[ch]
                    let shift = beta[ch] - mean[ch] * scale
                    for image in 0..<n {
                      let offset = image * plane + ch * spatial
                      if let activation {
                        // y = f(affine(x)), then g · f'(y).
                        BatchNormLoops.affine(x + offset, into: y, count: spatial, scale: scale, shift: shift)
                        activation.apply(y, count: spatial)
                        activation.gradient(outBase + offset, output: y, into: g + offset, count: spatial)
                      }
                      let (t, w) = BatchNormLoops.gradientSums(
                        g + offset, x + offset, count: spatial, mean: mean[ch], invStd: invStd[ch])
                      total += t
                      weighted += w
                    }
                    sg[ch] = Float(total)
                    sgx[ch] = Float(weighted)
                  }
                }
              }
            }
            guard wantInput else { return }
            func inputGradient(into d: UnsafeMutablePointer<Float>) {
              Parallel.chunks(c, work: input.count) { channels in
                for ch in channels {
                  let scale = gamma[ch] * invStd[ch]
                  // dx = scale · (dy − a − x̂ · b) with x̂ = (x − μ) · invStd.
                  let a = training ? sumGrad[ch] / Float(perChannel) : 0
                  let b = training ? sumGradXHat[ch] / Float(perChannel) : 0
                  for image in 0..<n {
                    let offset = image * plane + ch * spatial
                    BatchNormLoops.inputGradient(
                      g + offset, x + offset, into: d + offset, count: spatial, scale: scale, mean: mean[ch],
                      invStd: invStd[ch], a: a, b: b)
                  }
                }
              }
            }
            if inPlace {
              inputGradient(into: g)
            } else {
              dx = [Float](unsafeUninitializedCapacity: input.count) { dx, written in
                inputGradient(into: dx.baseAddress!)
                written = input.count
              }
            }
          }
        }
      }
      if inPlace {
        outGrad.scalars.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
      } else {
        // (Only read: the pointer is mutable for the in-place way's sake.)
        outGrad.scalars.withUnsafeBufferPointer { run(UnsafeMutablePointer(mutating: $0.baseAddress!)) }
      }
      return [
        wantInput ? (inPlace ? outGrad : Tensor(shape: input.shape, scalars: dx)) : nil,
        weight.requiresGrad ? Tensor(shape: [c], scalars: sumGradXHat) : nil,
        bias.requiresGrad ? Tensor(shape: [c], scalars: sumGrad) : nil,
      ]
    }
    let result = Tensor.result(shape: shape, scalars: out, inputs: [self, weight, bias]) { gradients($0, inPlace: false) }
    result.node?.backwardInPlace = { gradients($0, inPlace: true) }
    return result
  }
}

/// The loops of batch normalization over one channel's stretch of an image (`count` contiguous floats).
enum BatchNormLoops {
  /// The mean and biased variance of `images` stretches of `count` floats, `pitch` apart (two passes, in
  /// Double across stretches: the sums of a large batch lose Float's precision).
  static func statistics(_ x: UnsafePointer<Float>, images: Int, pitch: Int, count: Int) -> (Float, Float) {
    var total = Double(0)
    for image in 0..<images { total += Double(SIMDLanes.sum(x + image * pitch, count: count, shift: 0)) }
    let m = total / Double(images * count)
    var squares = Double(0)
    for image in 0..<images { squares += Double(SIMDLanes.sumOfSquares(x + image * pitch, count: count, shift: Float(m))) }
    return (Float(m), Float(squares / Double(images * count)))
  }

  typealias Vector = SIMDLanes.Vector

  @inline(__always)
  static func affine(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, scale: Float, shift: Float
  ) {
    for i in 0..<count { y[i] = x[i] * scale + shift }
  }

  /// Σ dy and Σ dy · x̂ over one stretch.
  @inline(__always)
  static func gradientSums(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count: Int, mean: Float, invStd: Float
  ) -> (Double, Double) {
    var (totalLanes, weightedLanes, i) = (Vector(repeating: 0), Vector(repeating: 0), 0)
    let m = Vector(repeating: mean)
    while i + SIMDLanes.width <= count {
      let gv = SIMDLanes.load(g + i)
      totalLanes += gv
      weightedLanes += gv * (SIMDLanes.load(x + i) - m)
      i += SIMDLanes.width
    }
    var (total, weighted) = (SIMDLanes.total(totalLanes), SIMDLanes.total(weightedLanes))
    while i < count {
      total += g[i]
      weighted += g[i] * (x[i] - mean)
      i += 1
    }
    return (Double(total), Double(weighted * invStd))
  }

  @inline(__always)
  static func inputGradient(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int,
    scale: Float, mean: Float, invStd: Float, a: Float, b: Float
  ) {
    for i in 0..<count { d[i] = scale * (g[i] - a - (x[i] - mean) * invStd * b) }
  }
}
