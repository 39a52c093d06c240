internal import Foundation
internal import Synchronization

/// OpenBLAS, loaded on first use so its kernel can be chosen first.
///
/// OpenBLAS picks its kernels once, when it is loaded, from `OPENBLAS_CORETYPE` or by asking the CPU.
/// Builds older than the CPU (Debian 12's 0.3.21 on Sapphire/Emerald Rapids, say) do not recognise it and
/// fall back to the generic Prescott kernels: measured here, 45 GFLOP/s instead of 240–290 with SkylakeX,
/// and the same results. When `OPENBLAS_CORETYPE` is unset, it is set from the CPU's own flags before the
/// library loads; a value set by the machine or the user is kept.
enum BLAS {
  typealias Sgemm =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
      Float,
      UnsafeMutablePointer<Float>?, Int32
    ) -> Void
  typealias NameFunction = @convention(c) () -> UnsafePointer<CChar>?

  // CBLAS constants (cblas.h).
  static let rowMajor: Int32 = 101
  static let noTrans: Int32 = 111
  static let trans: Int32 = 112

  static let library: UnsafeMutableRawPointer = {
    _ = Memory.configured
    if getenv("OPENBLAS_CORETYPE") == nil, let core = coreType(cpuFlags: cpuFlags()) {
      setenv("OPENBLAS_CORETYPE", core, 0)
    }
    for name in ["libopenblas.so.0", "libopenblas.so"] {
      if let handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL) { return handle }
    }
    fatalError("OpenBLAS was not found: install Debian's package libopenblas0 (apt-get install libopenblas-dev)")
  }()

  static let sgemm: Sgemm = {
    guard let symbol = dlsym(library, "cblas_sgemm") else { fatalError("the OpenBLAS library has no cblas_sgemm") }
    return unsafeBitCast(symbol, to: Sgemm.self)
  }()

  typealias SetThreads = @convention(c) (Int32) -> Void

  /// How many threads OpenBLAS may use for the next product (switched only when it changes).
  ///
  /// Medium products run single-threaded in OpenBLAS and are split across the runtime's own workers:
  /// two thread pools on two cores fight, because OpenBLAS's idle threads spin (sched_yield) while the
  /// elementwise loops want the cores (measured here: LeNet epochs varying by 30%). The largest
  /// products use OpenBLAS's own threads, which share their packed operands (MLP: 0.38 s an epoch
  /// against 0.50 s split by hand).
  private static let maxThreads: Int32 = {
    typealias GetThreads = @convention(c) () -> Int32
    return dlsym(library, "openblas_get_num_threads").map { unsafeBitCast($0, to: GetThreads.self)() } ?? 1
  }()
  /// The thread count last given to OpenBLAS. Atomic: one cell coordinates at a time in the executor, but
  /// two threads of one process (parallel tests) set it at once, a race ThreadSanitizer reported.
  private static let currentThreads = Atomic<Int32>(-1)
  private static func useThreads(_ threads: Int32) {
    guard currentThreads.exchange(threads, ordering: .relaxed) != threads,
      let symbol = dlsym(library, "openblas_set_num_threads")
    else { return }
    unsafeBitCast(symbol, to: SetThreads.self)(threads)
  }

  /// Products at least this large use OpenBLAS's own threads.
  static let openBLASThreadedWork = 32_000_000

  /// Products below this many multiply-adds run on one thread (waking a worker costs more than it saves).
  static let threadedWork = 4_000_000

  /// C = op(A)·op(B) (row-major), split into independent parts across the cores when it is large; with
  /// `backend` `.ownLoops`, narrow results go to `NarrowProduct`, and on AVX-512 most others to `PackedProduct`.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, backend: Backend
  ) {
    if NarrowProduct.suits(m: m, n: n, k: k, transposeB: transposeB, beta: beta, backend: backend) {
      NarrowProduct.multiply(
        transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
      return
    }
    let packed = PackedProduct.suits(m: m, n: n, k: k, beta: beta, backend: backend)
    if packed && m * n * k >= threadedWork
      && PackedProduct.multiplyOnCores(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
        c: c, ldc: ldc)
    {
      return
    }
    if !packed && m * n * k >= openBLASThreadedWork && maxThreads > 1 {
      useThreads(maxThreads)
      sgemm(
        rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans, Int32(m), Int32(n), Int32(k), 1, a,
        Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
      return
    }
    useThreads(1)
    func call(
      _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ beta: Float,
      _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
      if packed {
        PackedProduct.multiply(
          transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
          beta: beta, c: c, ldc: ldc)
        return
      }
      sgemm(
        rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans, Int32(m), Int32(n), Int32(k), 1, a,
        Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    let parts = m * n * k >= threadedWork ? Parallel.cores : 1
    if parts == 1 {
      call(m, n, k, a, b, beta, c, ldc)
    } else if m >= 64 * parts || (m >= n && m >= 16 * parts) {
      // Rows of op(A) and C.
      Parallel.chunks(m, work: Int.max) { rows in
        let aStart = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
        call(rows.count, n, k, aStart, b, beta, c + rows.lowerBound * ldc, ldc)
      }
    } else if n >= 16 * parts {
      // Columns of op(B) and C.
      Parallel.chunks(n, work: Int.max) { columns in
        let bStart = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
        call(m, columns.count, k, a, bStart, beta, c + columns.lowerBound, ldc)
      }
    } else {
      // A long inner dimension (a weight gradient over every position): partial products, then their sum.
      var partials = [Float](repeating: 0, count: parts * m * n)
      partials.withUnsafeMutableBufferPointer { p in
        let base = p.baseAddress!
        DispatchQueue.concurrentPerform(iterations: parts) { part in
          let lower = k * part / parts
          let upper = k * (part + 1) / parts
          let aStart = transposeA ? a + lower * lda : a + lower
          let bStart = transposeB ? b + lower : b + lower * ldb
          call(m, n, upper - lower, aStart, bStart, 0, base + part * m * n, n)
        }
        for i in 0..<m {
          for j in 0..<n {
            var total: Float = beta == 0 ? 0 : beta * c[i * ldc + j]
            for part in 0..<parts { total += base[part * m * n + i * n + j] }
            c[i * ldc + j] = total
          }
        }
      }
    }
  }

  /// Makes OpenBLAS run the next products on the calling thread; call it on the coordinating thread
  /// before workers call `serialGemm`.
  static func prepareSerialGemm() { useThreads(1) }

  /// C = op(A)·op(B) + beta·C on the calling thread (after `prepareSerialGemm`), for workers that each
  /// multiply their own part. `PackedProduct` does it when it suits.
  @inline(__always)
  static func serialGemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    backend: Backend
  ) {
    if PackedProduct.suits(m: m, n: n, k: k, beta: beta, backend: backend) {
      PackedProduct.multiply(
        transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
        c: c, ldc: ldc)
      return
    }
    sgemm(
      rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans, Int32(m), Int32(n), Int32(k), 1, a,
      Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// The kernel OpenBLAS uses (for benchmarks' reports).
  static var coreName: String {
    guard let symbol = dlsym(library, "openblas_get_corename"),
      let name = unsafeBitCast(symbol, to: NameFunction.self)()
    else { return "unknown" }
    return String(cString: name)
  }

  /// The OpenBLAS kernel family for the CPU's instruction sets, or nil to let OpenBLAS decide.
  static func coreType(cpuFlags: Set<String>) -> String? {
    if cpuFlags.contains("avx512f") && cpuFlags.contains("avx512bw") && cpuFlags.contains("avx512vl") {
      return "SkylakeX"
    }
    if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
    return nil
  }

  static func cpuFlags() -> Set<String> {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    return Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
  }
}

/// The BLAS kernel in use, e.g. "SkylakeX" (what a benchmark should report next to its figures).
public var blasCoreName: String { BLAS.coreName }
