import Foundation

/// OpenBLAS, loaded on first use so its kernel can be chosen first.
///
/// OpenBLAS picks its kernels once, when it is loaded, from `OPENBLAS_CORETYPE` or by asking the CPU.
/// Builds older than the CPU (Debian 12's 0.3.21 on Sapphire/Emerald Rapids, say) do not recognise it and
/// fall back to the generic Prescott kernels: measured here, 45 GFLOP/s instead of 240–290 with SkylakeX,
/// and the same results. When `OPENBLAS_CORETYPE` is unset, it is set from the CPU's own flags before the
/// library loads; a value set by the machine or the user is kept.
enum BLAS {
  typealias Sgemm = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
    UnsafeMutablePointer<Float>?, Int32
  ) -> Void
  typealias NameFunction = @convention(c) () -> UnsafePointer<CChar>?

  // CBLAS constants (cblas.h).
  static let rowMajor: Int32 = 101
  static let noTrans: Int32 = 111
  static let trans: Int32 = 112

  static let library: UnsafeMutableRawPointer = {
    Memory.configure()
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
  typealias GetThreads = @convention(c) () -> Int32

  private static let setThreads: SetThreads? = dlsym(library, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
  /// The threads OpenBLAS started with (one per core, or OPENBLAS_NUM_THREADS).
  static let maxThreads: Int32 = dlsym(library, "openblas_get_num_threads").map { unsafeBitCast($0, to: GetThreads.self)() } ?? 1
  nonisolated(unsafe) private static var currentThreads: Int32 = -1

  /// Products below this many multiply-adds run on one thread: measured here, waking a second thread
  /// costs more than it saves for a 256×784×10 product, and gains ~20–40% for 256×784×256.
  static let threadedWork = 8_000_000

  /// C = op(A)·op(B) with one or all threads depending on the size of the product.
  static func gemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>?, lda: Int,
    b: UnsafePointer<Float>?, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>?, ldc: Int
  ) {
    let threads: Int32 = m * n * k >= threadedWork ? maxThreads : 1
    if threads != currentThreads, let setThreads {
      setThreads(threads)
      currentThreads = threads
    }
    sgemm(
      rowMajor, transposeA ? trans : noTrans, transposeB ? trans : noTrans, Int32(m), Int32(n), Int32(k), 1, a,
      Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// The kernel OpenBLAS uses (for benchmarks' reports).
  public static var coreName: String {
    guard let symbol = dlsym(library, "openblas_get_corename"),
      let name = unsafeBitCast(symbol, to: NameFunction.self)()
    else { return "unknown" }
    return String(cString: name)
  }

  /// The OpenBLAS kernel family for the CPU's instruction sets, or nil to let OpenBLAS decide.
  static func coreType(cpuFlags: Set<String>) -> String? {
    if cpuFlags.contains("avx512f") && cpuFlags.contains("avx512bw") && cpuFlags.contains("avx512vl") { return "SkylakeX" }
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

/// Allocation settings for a process that allocates and frees the same large buffers every batch.
enum Memory {
  /// glibc serves blocks above its mmap threshold with fresh mappings, so each batch's buffers would
  /// page-fault anew; a higher threshold keeps them in the heap for reuse (PyTorch caches them too).
  static let configure: () -> Void = {
    // mallopt is not in Swift's Glibc module; its parameters from malloc.h.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mTrimThreshold: Int32 = -1, mMmapThreshold: Int32 = -3
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      _ = mallopt(mMmapThreshold, 256 << 20)
      _ = mallopt(mTrimThreshold, 512 << 20)
    }
    return {}
  }()
}
