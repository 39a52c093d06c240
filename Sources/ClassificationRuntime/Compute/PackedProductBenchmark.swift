internal import Foundation

/// train-bench `gemm REPEATS`: GFLOP/s of `PackedProduct` against OpenBLAS on the book's CNN products, run
/// alternately in one process (the machine is shared: only figures of the same run compare). Each shape's
/// best of `repeats` runs, on one core (the convolutions' products, one per core) or both (dense layers).
/// Shapes: `m n k` and T for a transposed operand, the products that take the most time in a training step
/// (batch 128) of ResNet-18 and GoogLeNet at 96², AlexNet at 224², and the MLP's and LeNet's dense layers.
public func _packedProductBenchmark(repeats: Int) {
  let shapes: [(String, Bool, Bool, Int, Int, Int, Float, Bool)] = [
    // name, transposeA, transposeB, m, n, k, beta, both cores
    ("resnet s1 forward", false, false, 64, 2304, 576, 0, false),
    ("resnet s2 forward", false, false, 128, 2160, 1152, 0, false),
    ("resnet s3 forward", false, false, 256, 1584, 2304, 0, false),
    ("resnet s4 forward", false, false, 512, 576, 4608, 0, false),
    ("resnet s1 weight grad", false, true, 64, 576, 2304, 1, false),
    ("resnet s2 weight grad", false, true, 128, 1152, 2160, 1, false),
    ("resnet s4 weight grad", false, true, 512, 4608, 576, 1, false),
    ("resnet 1x1 input grad", true, false, 576, 2160, 128, 0, false),
    ("resnet conv1 forward", false, false, 64, 2304, 49, 0, false),
    ("resnet conv1 weight grad", false, true, 64, 49, 2304, 1, false),
    ("googlenet 3x3 forward", false, false, 192, 2304, 576, 0, false),
    ("googlenet 3x3 weight grad", false, true, 192, 576, 1728, 1, false),
    ("googlenet 3x3 input grad", false, false, 64, 1728, 1728, 0, false),
    ("googlenet 1x1 forward", false, false, 24, 2052, 512, 0, false),
    ("googlenet 1x1 weight grad", false, true, 24, 512, 2052, 1, false),
    ("googlenet 1x1 input grad", true, false, 800, 2160, 96, 0, false),
    ("alexnet conv2 weight grad", false, true, 256, 2400, 676, 1, false),
    ("alexnet conv2 input grad", false, false, 96, 676, 6400, 0, false),
    ("alexnet conv2 forward", false, false, 256, 1352, 2400, 0, false),
    ("alexnet conv4 forward", false, false, 384, 1008, 3456, 0, false),
    ("alexnet conv1 forward", false, false, 96, 2916, 121, 0, false),
    ("alexnet conv1 weight grad", false, true, 96, 121, 2916, 1, false),
    ("alexnet fc1 forward", false, false, 128, 4096, 6400, 1, true),
    ("alexnet fc1 input grad", false, true, 128, 6400, 4096, 0, true),
    ("alexnet fc1 weight grad", true, false, 6400, 4096, 128, 0, true),
    ("alexnet fc2 forward", false, false, 128, 4096, 4096, 1, true),
    ("mlp forward", false, false, 256, 256, 784, 1, true),
    ("mlp weight grad", true, false, 784, 256, 256, 0, true),
    ("lenet fc forward", false, false, 128, 120, 400, 1, true),
    ("lenet fc input grad", false, true, 128, 400, 120, 0, true),
    ("lenet fc weight grad", true, false, 400, 120, 128, 0, true),
    ("small", false, false, 16, 36, 480, 0, true),
    ("narrow 16", false, true, 512, 16, 1024, 0, false),
    ("narrow 24", false, false, 512, 24, 1024, 0, false),
    ("narrow 40", false, false, 512, 40, 1024, 0, false),
    ("4 rows", false, false, 4, 2048, 512, 0, false),
    ("2 rows", false, false, 2, 2048, 512, 0, false),
    ("64 cubed", false, false, 64, 64, 64, 0, false),
    ("32 cubed", false, false, 32, 32, 32, 0, false),
    ("128 64 128", false, false, 128, 64, 128, 0, false),
    ("tiny", false, false, 1, 10, 1024, 0, true),
  ]
  print("gemm: PackedProduct against OpenBLAS (\(BLAS.coreName)), GFLOP/s, best of \(repeats)")
  for (name, transposeA, transposeB, m, n, k, beta, both) in shapes {
    let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
    let a = (0..<(m * k)).map { _ in Float.random(in: -1...1) }
    let b = (0..<(k * n)).map { _ in Float.random(in: -1...1) }
    var (own, reference) = ([Float](repeating: 0, count: m * n), [Float](repeating: 0, count: m * n))
    var (ownBest, referenceBest) = (Double.infinity, Double.infinity)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        func run(_ c: UnsafeMutablePointer<Float>, packed: Bool) -> Double {
          let started = DispatchTime.now()
          if both {
            BLAS.gemm(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
              b: b.baseAddress!, ldb: ldb, beta: beta, c: c, ldc: n, backend: packed ? .ownLoops : .openBLASOnly)
          } else if packed {
            PackedProduct.multiply(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
              b: b.baseAddress!, ldb: ldb, beta: beta, c: c, ldc: n)
          } else {
            BLAS.prepareSerialGemm()
            BLAS.sgemm(
              BLAS.rowMajor, transposeA ? BLAS.trans : BLAS.noTrans, transposeB ? BLAS.trans : BLAS.noTrans,
              Int32(m), Int32(n), Int32(k), 1, a.baseAddress!, Int32(lda), b.baseAddress!, Int32(ldb), beta, c,
              Int32(n))
          }
          return Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        }
        for _ in 0..<repeats {
          // beta 1 adds onto C: start from zeros each run so the two results compare.
          own.withUnsafeMutableBufferPointer { c in
            c.update(repeating: 0)
            ownBest = min(ownBest, run(c.baseAddress!, packed: true))
          }
          reference.withUnsafeMutableBufferPointer { c in
            c.update(repeating: 0)
            referenceBest = min(referenceBest, run(c.baseAddress!, packed: false))
          }
        }
      }
    }
    let difference = zip(own, reference).map { abs($0 - $1) }.max() ?? 0
    let flops = 2 * Double(m) * Double(n) * Double(k) / 1e9
    print(
      String(
        format: "%@ %@%@ %5d %5d %5d %@ own %6.1f  openblas %6.1f  ratio %.2f  max diff %.1e",
        name.padding(toLength: 26, withPad: " ", startingAt: 0), transposeA ? "T" : "N", transposeB ? "T" : "N", m, n,
        k, both ? "2 cores" : "1 core ",
        flops / ownBest, flops / referenceBest, referenceBest / ownBest, difference))
  }
}
