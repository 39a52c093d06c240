@_implementationOnly import Foundation

/// The matrix product of two 2-D tensors.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor { a.matmul(b) }

extension Tensor {
  /// The matrix product `[M, K] · [K, N] → [M, N]` on `cblas_sgemm`; its gradients are two more products.
  public func matmul(_ other: Tensor) -> Tensor {
    precondition(
      rank == 2 && other.rank == 2 && shape[1] == other.shape[0],
      "matmul needs [M, K] and [K, N]; got \(shape) and \(other.shape)")
    let (m, k, n) = (shape[0], shape[1], other.shape[1])
    let out = Tensor.gemm(scalars, other.scalars, m: m, n: n, k: k, transposeA: false, transposeB: false)
    return Tensor.result(shape: [m, n], scalars: out, inputs: [self, other]) { grad in
      // dA = dC · Bᵀ,  dB = Aᵀ · dC
      [
        self.requiresGrad
          ? Tensor(shape: [m, k], scalars: Tensor.gemm(grad.scalars, other.scalars, m: m, n: k, k: n, transposeA: false, transposeB: true)) : nil,
        other.requiresGrad
          ? Tensor(shape: [k, n], scalars: Tensor.gemm(self.scalars, grad.scalars, m: k, n: n, k: m, transposeA: true, transposeB: false)) : nil,
      ]
    }
  }

  /// C[m×n] = op(A) · op(B), with op(A) of shape m×k and op(B) of shape k×n (row-major storage).
  static func gemm(
    _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
    accumulateInto c: [Float]? = nil
  ) -> [Float] {
    var out = c ?? [Float](repeating: 0, count: m * n)
    guard m > 0, n > 0 else { return out }
    if k == 0 { return out }
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          BLAS.gemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!, lda: transposeA ? m : k,
            b: b.baseAddress!, ldb: transposeB ? k : n, beta: c == nil ? 0 : 1, c: o.baseAddress!, ldc: n)
        }
      }
    }
    return out
  }
}
