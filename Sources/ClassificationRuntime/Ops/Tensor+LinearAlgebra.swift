internal import Foundation

/// The matrix product of two 2-D tensors.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b) }

extension Tensor {
  /// The matrix product `[M, K] · [K, N] → [M, N]` on `cblas_sgemm`; its gradients are two more products.
  public func matmul(_ other: Tensor) -> Tensor { matmul(other, backend: .default) }

  /// `matmul` on the given backend.
  func matmul(_ other: Tensor, backend: Backend) -> Tensor {
    require(
      rank == 2 && other.rank == 2 && shape[1] == other.shape[0],
      "matmul needs [M, K] and [K, N]; got \(shape) and \(other.shape)")
    let (m, k, n) = (shape[0], shape[1], other.shape[1])
    let out = Tensor.gemm(
      scalars, other.scalars, m: m, n: n, k: k, transposeA: false, transposeB: false, backend: backend)
    return Tensor.result(shape: [m, n], scalars: out, inputs: [self, other]) { grad in
      // dA = dC · Bᵀ,  dB = Aᵀ · dC
      [
        self.requiresGrad
          ? Tensor(
            shape: [m, k],
            scalars: Tensor.gemm(
              grad.scalars, other.scalars, m: m, n: k, k: n, transposeA: false, transposeB: true, backend: backend))
          : nil,
        other.requiresGrad
          ? Tensor(
            shape: [k, n],
            scalars: Tensor.gemm(
              self.scalars, grad.scalars, m: k, n: n, k: m, transposeA: true, transposeB: false, backend: backend))
          : nil,
      ]
    }
  }

  /// `x · weight + bias` (x `[M, K]`, weight `[K, N]`, bias `[N]`), then `activation`, as one operation:
  /// the product is added onto the bias rows (sgemm with beta 1), and the backward pass takes the
  /// activation's gradient, then the bias gradient and the two products from it.
  func affine(_ weight: Tensor, _ bias: Tensor, activation: FusedActivation?, backend: Backend = .default) -> Tensor {
    require(
      rank == 2 && weight.rank == 2 && shape[1] == weight.shape[0] && bias.shape == [weight.shape[1]],
      "affine needs x [M, K], weight [K, N] and bias [N]; got \(shape), \(weight.shape) and \(bias.shape)")
    let (m, k, n) = (shape[0], shape[1], weight.shape[1])
    let rows = [Float](unsafeUninitializedCapacity: m * n) { rows, count in
      for i in 0..<m {
        _ = UnsafeMutableBufferPointer(rebasing: rows[(i * n)..<((i + 1) * n)]).initialize(from: bias.scalars)
      }
      count = m * n
    }
    var out = Tensor.gemm(
      scalars, weight.scalars, m: m, n: n, k: k, transposeA: false, transposeB: false, accumulateInto: rows,
      backend: backend)
    activation?.apply(&out)
    return Tensor.result(shape: [m, n], scalars: out, inputs: [self, weight, bias]) { grad in
      let g = activation.map { $0.gradient(grad.scalars, output: out) } ?? grad.scalars
      return [
        self.requiresGrad
          ? Tensor(
            shape: [m, k],
            scalars: Tensor.gemm(
              g, weight.scalars, m: m, n: k, k: n, transposeA: false, transposeB: true, backend: backend)) : nil,
        weight.requiresGrad
          ? Tensor(
            shape: [k, n],
            scalars: Tensor.gemm(
              self.scalars, g, m: k, n: n, k: m, transposeA: true, transposeB: false, backend: backend)) : nil,
        // The bias was added to every row, as a broadcast addition: its gradient is the column sums.
        bias.requiresGrad ? Broadcast.reduce(Tensor(shape: [m, n], scalars: g), to: [n]) : nil,
      ]
    }
  }

  /// C[m×n] = op(A) · op(B), with op(A) of shape m×k and op(B) of shape k×n (row-major storage).
  static func gemm(
    _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
    accumulateInto c: [Float]? = nil, backend: Backend
  ) -> [Float] {
    // Without C to add to, sgemm overwrites the output (beta 0), so it need not be zeroed first.
    var out =
      c ?? (k > 0 ? [Float](unsafeUninitializedCapacity: m * n) { $1 = m * n } : [Float](repeating: 0, count: m * n))
    guard m > 0, n > 0 else { return out }
    if k == 0 { return out }
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!,
            lda: transposeA ? m : k,
            b: b.baseAddress!, ldb: transposeB ? k : n, beta: c == nil ? 0 : 1, c: o.baseAddress!, ldc: n,
            backend: backend)
        }
      }
    }
    return out
  }
}
