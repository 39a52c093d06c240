import Foundation
import FuzzSupport
@testable import ExecutorHost

// `%install`'s arguments (`PackageRequest.parse`): a usage error, or a request whose package line, identity
// and products can go into the wrapper package's manifest.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPackageLine(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let arguments = String(decoding: bytes(start, count), as: UTF8.self)
  let request: PackageRequest
  do { request = try PackageRequest.parse(arguments) } catch {
    expect(!error.message.isEmpty, "a usage error says what is wrong")
    return 0
  }
  expect(request.line.hasPrefix(".package("), "the line \(request.line)")
  expect(!request.identity.isEmpty, "an empty package identity from \(arguments.debugDescription)")
  expect(!request.products.isEmpty, "no products")
  for product in request.products {
    expect(!product.isEmpty && !product.contains(where: \.isWhitespace), "product \(product.debugDescription)")
  }
  expect(request.key(toolchain: "t") == request.key(toolchain: "t"), "the cache key is stable")
  return 0
}

@_cdecl("FuzzPackageLine_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzPackageLine)
}
