import ExecutorWire
import Foundation
import Kernel
import ProcessSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What `%install` was asked for: a SwiftPM dependency line and the products to import.
struct PackageRequest: Equatable {
  /// `.package(url: "…", from: "…")`, as a `Package.swift` takes it.
  var line: String
  /// The package's identity (`swift-algorithms`), which `.product(name:package:)` needs.
  var identity: String
  var products: [String]

  /// `'<SwiftPM package line>' PRODUCT…`; the line may also be `OWNER/NAME VERSION`, which means
  /// `.package(url: "https://github.com/OWNER/NAME", from: "VERSION")`.
  static func parse(_ arguments: String) throws(MagicUsageError) -> PackageRequest {
    let usage =
      "usage: %install '.package(url: \"https://github.com/apple/swift-algorithms\", from: \"1.2.1\")' Algorithms"
      + " (or %install 'apple/swift-algorithms 1.2.1' Algorithms)"
    let text = arguments.trimmingCharacters(in: .whitespaces)
    guard let quote = text.first, quote == "'" || quote == "\"",
      let close = text.dropFirst().firstIndex(of: quote)
    else { throw MagicUsageError(message: usage) }
    var line = String(text[text.index(after: text.startIndex)..<close]).trimmingCharacters(in: .whitespaces)
    // Split at any whitespace: a product name with a tab or a newline in it would go into the manifest as it is.
    let products = text[text.index(after: close)...].split(whereSeparator: \.isWhitespace).map(String.init)
    guard !products.isEmpty else {
      throw MagicUsageError(message: "name the products to import after the package line. " + usage)
    }
    if !line.hasPrefix(".package(") {
      let words = line.split(separator: " ").map(String.init)
      guard words.count == 2, words[0].split(separator: "/").count == 2 else { throw MagicUsageError(message: usage) }
      line = ".package(url: \"https://github.com/\(words[0])\", from: \"\(words[1])\")"
    }
    guard let location = quoted(after: "url:", in: line) ?? quoted(after: "path:", in: line) else {
      throw MagicUsageError(message: "the package line names no url: or path:. " + usage)
    }
    var identity = String(location.split(separator: "/").last ?? "").lowercased()
    if identity.hasSuffix(".git") { identity.removeLast(4) }
    // An empty name would reach `swift build` as `.product(name: …, package: "")`, and fail there obscurely.
    guard !identity.isEmpty else {
      throw MagicUsageError(message: "the package line's location \"\(location)\" names no package. " + usage)
    }
    return PackageRequest(line: line, identity: identity, products: products)
  }

  private static func quoted(after label: String, in line: String) -> String? {
    guard let range = line.range(of: label) else { return nil }
    let rest = line[range.upperBound...].drop(while: { $0 == " " })
    guard rest.first == "\"", let end = rest.dropFirst().firstIndex(of: "\"") else { return nil }
    return String(rest[rest.index(after: rest.startIndex)..<end])
  }

  /// Names the build in the cache: the same request with the same toolchain is built once, for every
  /// kernel. FNV-1a, so the key stays the same from run to run.
  func key(toolchain: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in ([line] + products + [toolchain]).joined(separator: "\n").utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
  }
}

/// A built package, as the cache records it: the library to load and the compiler flags that find its
/// modules.
struct InstalledPackage: Codable {
  var library: String
  var arguments: [String]
}

extension ExecutorHost {
  /// `%install`: builds a wrapper package that depends on the line (with `swift build`, from the local
  /// package mirror SwiftPM is set to use), or takes the cached build, then loads its library into the
  /// executor and gives later cells its modules. The session's state is kept.
  func install(_ arguments: String, output: OutputSink) -> ExecutionOutcome {
    let request: PackageRequest
    do {
      request = try PackageRequest.parse(arguments)
    } catch {
      return .failed(error.cellError)
    }
    let key = request.key(toolchain: compiler.toolchain.frontend)
    let directory = Self.packageCache.appendingPathComponent(key)
    let record = directory.appendingPathComponent("installed.json")
    let package: InstalledPackage
    if let data = try? Data(contentsOf: record),
      let cached = try? JSONDecoder().decode(InstalledPackage.self, from: data),
      FileManager.default.fileExists(atPath: cached.library)
    {
      output.emit(.stream(name: .stdout, text: "Using the build of \(request.line) cached in \(directory.path)\n"))
      package = cached
    } else {
      switch build(request, key: key, in: directory, output: output) {
      case .success(let built):
        package = built
        if let data = try? JSONEncoder().encode(built) { try? data.write(to: record) }
      case .failure(let error): return .failed(error)
      }
    }
    if let failure = loadNow(package.library) {
      return .failed(
        CellError(
          name: "InstallError", value: "the package's library did not load: \(failure)",
          traceback: ["InstallError: the package's library did not load: \(failure)"]))
    }
    // The same request again is the same library: its modules are known already.
    if !installedLibraries.contains(package.library) {
      installedLibraries.append(package.library)
      compiler.packageArguments += package.arguments
    }
    let imports = request.products.map { "import \($0)" }.joined(separator: ", ")
    return say(
      "Installed \(request.products.joined(separator: ", ")) from \(request.line). Use it with: \(imports)", output)
  }

  /// `~/.cache/swift-kernel/packages` (or under `XDG_CACHE_HOME`).
  static var packageCache: URL {
    let root = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache"
    return URL(fileURLWithPath: root).appendingPathComponent("swift-kernel/packages")
  }

  private func build(_ request: PackageRequest, key: String, in directory: URL, output: OutputSink)
    -> Result<InstalledPackage, CellError>
  {
    func failure(_ message: String, _ details: [String] = []) -> Result<InstalledPackage, CellError> {
      .failure(CellError(name: "InstallError", value: message, traceback: ["InstallError: \(message)"] + details))
    }
    // The product's name is unique per request: two installs in one executor are two libraries.
    let target = "InstalledPackages_\(key)"
    let sources = directory.appendingPathComponent("Sources/\(target)")
    let products = request.products.map {
      ".product(name: \(String(reflecting: $0)), package: \(String(reflecting: request.identity)))"
    }
    let manifest = """
      // swift-tools-version:5.9
      // Built by swift-kernel's %install; safe to delete.
      import PackageDescription

      let package = Package(
        name: "\(target)",
        products: [.library(name: "\(target)", type: .dynamic, targets: ["\(target)"])],
        dependencies: [\(request.line)],
        targets: [.target(name: "\(target)", dependencies: [\(products.joined(separator: ", "))])]
      )

      """
    do {
      try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
      try manifest.write(to: directory.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
      try "// The products this package depends on are the point; it has no code of its own.\n".write(
        to: sources.appendingPathComponent("Empty.swift"), atomically: true, encoding: .utf8)
    } catch {
      return failure("cannot write the package in \(directory.path): \(error.localizedDescription)")
    }
    // Kernels that install the same package at once build it one after the other.
    let lock = open(directory.appendingPathComponent(".lock").path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    if lock >= 0 { flock(lock, LOCK_EX) }
    defer {
      if lock >= 0 {
        flock(lock, LOCK_UN)
        close(lock)
      }
    }
    output.emit(.stream(name: .stdout, text: "Building \(request.line) in \(directory.path)\n"))
    let swiftBuild = URL(fileURLWithPath: compiler.toolchain.frontend).deletingLastPathComponent().path + "/swift-build"
    let common = ["-c", "release", "--package-path", directory.path]
    switch stream(swiftBuild, common, output: output) {
    case .failure(let error): return failure("cannot run swift build: \(error)")
    case .success(let (status, printed)):
      if control.withLock({ $0.interrupted }) { return .failure(Self.interruptedError) }
      if status != 0 { return failure(Self.explain(buildFailure: printed, request: request)) }
    }
    guard
      let binPath = try? Subprocess.run(swiftBuild, common + ["--show-bin-path"]).stdout
        .trimmingCharacters(in: .whitespacesAndNewlines), !binPath.isEmpty
    else { return failure("swift build did not say where it built the package") }
    guard let arguments = Self.cellArguments(descriptionAt: binPath + "/description.json", target: target) else {
      return failure("cannot read the module paths from \(binPath)/description.json")
    }
    return .success(InstalledPackage(library: binPath + "/lib\(target).so", arguments: arguments))
  }

  /// The flags a cell needs to import what the wrapper target imports: its module folder, and the C
  /// module maps and include folders SwiftPM gave it (a C dependency such as `_NumericsShims`).
  static func cellArguments(descriptionAt path: String, target: String) -> [String]? {
    guard let data = FileManager.default.contents(atPath: path),
      let description = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let commands = description["swiftCommands"] as? [String: [String: Any]],
      let command = commands.values.first(where: { $0["moduleName"] as? String == target }),
      let importPath = command["importPath"] as? String
    else { return nil }
    var result = ["-I", importPath]
    let other = command["otherArguments"] as? [String] ?? []
    var index = 0
    while index < other.count {
      if other[index] == "-Xcc", index + 1 < other.count {
        let argument = other[index + 1]
        if argument.hasPrefix("-fmodule-map-file=") || (argument.hasPrefix("-I") && argument.count > 2) {
          result += ["-Xcc", argument]
        } else if argument == "-I", index + 3 < other.count, other[index + 2] == "-Xcc" {
          result += ["-Xcc", "-I" + other[index + 3]]
          index += 2
        }
        index += 2
        continue
      }
      index += 1
    }
    return result
  }

  /// What went wrong, in words, from what `swift build` printed (all of which the cell shows above).
  static func explain(buildFailure printed: String, request: PackageRequest) -> String {
    if printed.contains("does not appear to be a git repository") || printed.contains("Failed to clone") {
      return "\(request.identity) is not in the local package mirror, the only place packages come from here"
    }
    if printed.contains("no versions of") {
      return "the local package mirror has no version of \(request.identity) that \(request.line) allows"
    }
    if printed.contains("not found in package") {
      return
        "\(request.identity) has no product named \(request.products.joined(separator: " or ")); see the message above"
    }
    if printed.contains("Invalid manifest") { return "the package line is not valid Swift: \(request.line)" }
    let lastError = printed.split(separator: "\n").last { $0.contains("error:") }.map(String.init)
    return "swift build failed" + (lastError.map { ": " + $0.trimmingCharacters(in: .whitespaces) } ?? "")
  }

  /// Loads a library into the executor now and waits for its answer: nil, or why it did not load.
  func loadNow(_ library: String) -> String? {
    if executor == nil { restartExecutor() }
    guard let executor, executor.send(.load(library: library)) else { return "the executor is not running" }
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      // Only the event pipe: what the executor prints meanwhile waits for the next cell's relay.
      Poll.readable([executor.eventFD], milliseconds: 100)
      for event in executor.pendingEvents() {
        if case .loaded(library, let error) = event { return error }
      }
      if executor.eventsClosed { return "the executor stopped" }
    }
    return "the executor did not answer"
  }
}
