import ExecutorWire
import Foundation
import Testing

@testable import ExecutorHost

/// The error `Magics.steps(of:)` throws for a cell, or nil when it does not throw.
private func usageError(_ code: String) -> MagicUsageError? {
  do {
    _ = try Magics.steps(of: code)
    return nil
  } catch {
    return error
  }
}

private func parseError(_ arguments: String) -> MagicUsageError? {
  do {
    _ = try PackageRequest.parse(arguments)
    return nil
  } catch {
    return error
  }
}

@Suite struct MagicsTests {
  // MARK: Splitting a cell into steps

  @Test func aCellWithoutMagicsHasNoSteps() throws {
    #expect(try Magics.steps(of: "let x = 1\nprint(x)") == nil)
    #expect(try Magics.steps(of: "") == nil)
    // `%` and `!` that do not start a line are Swift's operators.
    #expect(try Magics.steps(of: "let r = 7 % 3\nlet b = !true") == nil)
  }

  @Test func timeKeepsTheLineAndColumnOfItsCode() throws {
    let steps = try Magics.steps(of: "let a = 1\n%time a + 1")
    #expect(steps == [.swift("let a = 1\n"), .time("\n      a + 1")])
    // On the first line, the magic's name becomes as many spaces.
    #expect(try Magics.steps(of: "%time work()") == [.time("      work()")])
  }

  @Test func cellTimeTakesTheBodyWithItsLineNumbers() throws {
    let steps = try Magics.steps(of: "%%time\nlet y = 2\nprint(y)")
    #expect(steps == [.time("\nlet y = 2\nprint(y)")])
  }

  @Test func cellTimeitTakesLoopsAndRuns() throws {
    let steps = try Magics.steps(of: "%%timeit -n 3 -r 2\nvar s = 0\nfor i in 0..<10 { s += i }")
    #expect(steps == [.timeit("\nvar s = 0\nfor i in 0..<10 { s += i }", number: 3, repeats: 2)])
    // Without options IPython's defaults: loops chosen (0), 7 runs.
    #expect(try Magics.steps(of: "%%timeit\nwork()") == [.timeit("\nwork()", number: 0, repeats: 7)])
  }

  @Test func lineTimeitTakesItsOptionsAndKeepsTheCodesLine() throws {
    let steps = try #require(try Magics.steps(of: "let a = [1]\n%timeit -n 10 a.count"))
    #expect(steps.count == 2)
    #expect(steps.first == .swift("let a = [1]\n"))
    guard case .timeit(let code, let number, let repeats) = steps.last else {
      Issue.record("not a timeit step: \(steps)")
      return
    }
    #expect(number == 10 && repeats == 7)
    let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[0].isEmpty)
    #expect(lines.last?.trimmingCharacters(in: .whitespaces) == "a.count")
  }

  @Test func shellLinesSplitTheSwiftAroundThemWhichKeepsItsLineNumbers() throws {
    let steps = try Magics.steps(of: "let a = 1\n!echo hi\nprint(a)")
    #expect(steps == [.swift("let a = 1\n\n"), .shell("echo hi"), .swift("\n\nprint(a)")])
  }

  @Test func blankSwiftBetweenMagicsIsNoStep() throws {
    #expect(try Magics.steps(of: "!ls\n\n%pwd") == [.shell("ls"), .line(.pwd, "")])
  }

  @Test func lineMagicsKeepTheTextAfterTheirName() throws {
    #expect(try Magics.steps(of: "%env NAME=some value") == [.line(.env, "NAME=some value")])
    #expect(try Magics.steps(of: "%who Int String") == [.line(.who, "Int String")])
    #expect(try Magics.steps(of: "%reset -f") == [.line(.reset, "-f")])
    #expect(
      try Magics.steps(of: "%install 'apple/swift-algorithms 1.2.1' Algorithms")
        == [.line(.install, "'apple/swift-algorithms 1.2.1' Algorithms")])
  }

  @Test func cellMagicsTakeTheWholeBody() throws {
    #expect(try Magics.steps(of: "%%bash\necho one\necho two") == [.shell("echo one\necho two")])
    #expect(try Magics.steps(of: "%%sh\nls") == [.shell("ls")])
    #expect(
      try Magics.steps(of: "%%writefile /tmp/a.swift\nlet a = 1\n%not a magic here")
        == [.writeFile(path: "/tmp/a.swift", append: false, text: "let a = 1\n%not a magic here\n")])
    #expect(
      try Magics.steps(of: "%%writefile -a notes.txt\nmore")
        == [.writeFile(path: "notes.txt", append: true, text: "more\n")])
  }

  @Test func aPercentLineInsideAMultiLineStringIsSwift() throws {
    let code = "let s = \"\"\"\n%not a magic\n!nor a command\n\"\"\"\nprint(s)"
    #expect(try Magics.steps(of: code) == nil)
    // After the string closes, magics are magics again.
    #expect(try Magics.steps(of: code + "\n%who") == [.swift(code + "\n"), .line(.who, "")])
  }

  @Test func anUnknownMagicThrowsWithTheKnownNames() {
    let line = usageError("let a = 1\n%nosuchmagic")
    #expect(line?.message.contains("%nosuchmagic") == true)
    #expect(line?.message.contains("%timeit") == true)
    #expect(line?.message.contains("%%writefile") == true)
    let cell = usageError("%%nosuch\nlet a = 1")
    #expect(cell?.message.contains("%%nosuch") == true)
    #expect(cell?.message.contains("%timeit") == true)
    #expect(usageError("% time x")?.message.contains("%timeit") == true)
  }

  @Test func magicsUsedWronglyThrow() {
    // %%timeit's code is its body.
    #expect(usageError("%%timeit a.count\nb.count")?.message.contains("body") == true)
    // A cell magic on a line, and a line magic as a cell magic, say which they are.
    #expect(usageError("%bash echo hi")?.message.contains("%%bash") == true)
    #expect(usageError("%%who\nx")?.message.contains("line magic") == true)
    #expect(usageError("%timeit -n 0 x")?.message.contains("positive") == true)
    #expect(usageError("%%timeit -r x\nwork()")?.message.contains("positive") == true)
    #expect(usageError("%%writefile\ntext")?.message.contains("usage") == true)
    #expect(usageError("%%writefile a b\ntext")?.message.contains("usage") == true)
    // A cell magic below the first line.
    #expect(usageError("let x = 1\n%%time\nx")?.message.contains("%%time) must be the cell's first line") == true)
  }

  @Test func theListingNamesEveryMagic() {
    for name in ["%time", "%timeit", "%who", "%whos", "%reset", "%install", "%%time", "%%timeit", "%%bash"] {
      #expect(Magics.listing.contains(name), "\(name)")
    }
    #expect(Magics.lineNames.contains("time") && Magics.cellNames.contains("writefile"))
  }

  // MARK: The Swift of a cell, for is_complete

  @Test func swiftOnlyBlanksTheMagicLines() {
    #expect(Magics.swiftOnly("let a = 1\n!ls\nfor i in 0..<a {") == "let a = 1\n\nfor i in 0..<a {")
    #expect(Magics.swiftOnly("%time x + 1") == "      x + 1")
    #expect(Magics.swiftOnly("%%bash\necho {") == "\n")
    #expect(Magics.swiftOnly("%%time\nfor i in 0..<3 {") == "\nfor i in 0..<3 {")
    // No magic, or one that does not parse: the code as it is.
    #expect(Magics.swiftOnly("let x = 1") == "let x = 1")
    #expect(Magics.swiftOnly("%nosuch {") == "%nosuch {")
  }

  /// Found by `scripts/fuzz.sh` (FuzzMagics): lines were split at `Character`s, and "\r\n" is one, so in a
  /// cell with Windows line ends no magic after the first line was seen, and a line after a "\r\n" that
  /// the steps left out shifted every later line number of the Swift code.
  @Test func windowsLineEndsKeepMagicsAndLineNumbers() throws {
    let steps = try Magics.steps(of: "%time f()\r\nlet y = 1\r\n%pwd\r\nprint(y)")
    #expect(
      steps == [.time("      f()\r\n\n\n"), .swift("\nlet y = 1\r\n\n"), .line(.pwd, ""), .swift("\n\n\nprint(y)")])
    #expect(
      try Magics.steps(of: "%%writefile a.txt\r\nline\r\n")
        == [.writeFile(path: "a.txt", append: false, text: "line\r\n\n")])
    let cell = "%pwd\r\n!ls\r\nlet z = 2"
    #expect(try Magics.steps(of: cell) == [.line(.pwd, ""), .shell("ls"), .swift("\n\nlet z = 2")])
    #expect(Magics.swiftOnly(cell) == "\n\nlet z = 2")
  }

  // MARK: %install's request

  @Test func theShortFormIsAGitHubPackageFromAVersion() throws {
    let request = try PackageRequest.parse("'apple/swift-algorithms 1.2.1' Algorithms")
    #expect(request.line == ".package(url: \"https://github.com/apple/swift-algorithms\", from: \"1.2.1\")")
    #expect(request.identity == "swift-algorithms")
    #expect(request.products == ["Algorithms"])
  }

  @Test func theLongFormIsKeptAndItsIdentityIsLowercaseWithoutGit() throws {
    let line = ".package(url: \"https://github.com/attaswift/BigInt.git\", from: \"5.3.0\")"
    let request = try PackageRequest.parse("'\(line)' BigInt")
    #expect(request.line == line)
    #expect(request.identity == "bigint")
    #expect(request.products == ["BigInt"])
    let local = try PackageRequest.parse("'.package(path: \"/work/My-Package\")' Mine")
    #expect(local.identity == "my-package")
  }

  @Test func severalProductsAndDoubleQuotes() throws {
    let request = try PackageRequest.parse("  \"apple/swift-numerics 1.1.1\"  RealModule   ComplexModule ")
    #expect(request.products == ["RealModule", "ComplexModule"])
    #expect(request.identity == "swift-numerics")
  }

  /// Found by `scripts/fuzz.sh` (FuzzPackageLine): products were split at spaces only, so a tab or a newline
  /// stayed inside a product's name, and went into the manifest and the `import` line.
  @Test func productsAreSeparatedByAnyWhitespace() throws {
    let request = try PackageRequest.parse("'apple/swift-numerics 1.1.1' RealModule\tComplexModule\n\nNumerics")
    #expect(request.products == ["RealModule", "ComplexModule", "Numerics"])
    #expect(parseError("'apple/swift-numerics 1.1.1' \t\n")?.message.contains("products") == true)
  }

  /// Found by `scripts/fuzz.sh` (FuzzPackageLine): `path: ""` (or a url ending in "/.git") gave the package an
  /// empty identity, which reached the wrapper's manifest as `package: ""`.
  @Test func aLocationThatNamesNoPackageIsAUsageError() {
    #expect(parseError("'.package(path: \"\")' Local")?.message.contains("names no package") == true)
    #expect(parseError("'.package(url: \"/.git\", from: \"1.0.0\")' X")?.message.contains("names no package") == true)
  }

  @Test func aRequestWithoutProductsOrQuotesOrLocationIsAUsageError() {
    #expect(parseError("'apple/swift-algorithms 1.2.1'")?.message.contains("products") == true)
    #expect(parseError("apple/swift-algorithms 1.2.1 Algorithms")?.message.contains("usage") == true)
    #expect(parseError("'swift-algorithms 1.2.1' Algorithms")?.message.contains("usage") == true)
    #expect(parseError("'.package(name: \"x\")' X")?.message.contains("no url: or path:") == true)
    #expect(parseError("") != nil)
  }

  @Test func theCacheKeyIsTheRequestAndTheToolchain() throws {
    let short = try PackageRequest.parse("'apple/swift-algorithms 1.2.1' Algorithms")
    let long = try PackageRequest.parse(
      "'.package(url: \"https://github.com/apple/swift-algorithms\", from: \"1.2.1\")' Algorithms")
    #expect(
      short.key(toolchain: "/opt/swift/bin/swift-frontend") == long.key(toolchain: "/opt/swift/bin/swift-frontend"))
    #expect(short.key(toolchain: "/a/swift-frontend") != short.key(toolchain: "/b/swift-frontend"))
    let other = try PackageRequest.parse("'apple/swift-algorithms 1.2.1' Algorithms RealModule")
    #expect(other.key(toolchain: "t") != short.key(toolchain: "t"))
  }

  // MARK: What %install reads from swift build

  @Test func cellArgumentsComeFromTheWrapperTargetsCommand() throws {
    let description = """
      {"swiftCommands": {
        "C.Other-release.module": {"moduleName": "Other", "importPath": "/wrong/Modules", "otherArguments": []},
        "C.Wrapper-release.module": {
          "moduleName": "Wrapper", "importPath": "/build/release/Modules",
          "otherArguments": [
            "-j2", "-Xcc", "-fmodule-map-file=/pkg/Shims/module.modulemap", "-Xcc", "-I/pkg/Shims/include",
            "-Xcc", "-I", "-Xcc", "/pkg/Other/include", "-Xcc", "-DDEBUG", "-swift-version", "5"
          ]
        }
      }}
      """
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("magics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("description.json").path
    try description.write(toFile: path, atomically: true, encoding: .utf8)

    #expect(
      ExecutorHost.cellArguments(descriptionAt: path, target: "Wrapper") == [
        "-I", "/build/release/Modules",
        "-Xcc", "-fmodule-map-file=/pkg/Shims/module.modulemap",
        "-Xcc", "-I/pkg/Shims/include",
        "-Xcc", "-I/pkg/Other/include",
      ])
    #expect(ExecutorHost.cellArguments(descriptionAt: path, target: "Other") == ["-I", "/wrong/Modules"])
    #expect(ExecutorHost.cellArguments(descriptionAt: path, target: "Missing") == nil)
    #expect(
      ExecutorHost.cellArguments(descriptionAt: folder.appendingPathComponent("none.json").path, target: "Wrapper")
        == nil)
    let broken = folder.appendingPathComponent("broken.json").path
    try "{not json".write(toFile: broken, atomically: true, encoding: .utf8)
    #expect(ExecutorHost.cellArguments(descriptionAt: broken, target: "Wrapper") == nil)
  }

  @Test func aBuildFailureIsExplainedInWords() throws {
    let rx = try PackageRequest.parse("'ReactiveX/RxSwift 6.0.0' RxSwift")
    let notMirrored = ExecutorHost.explain(
      buildFailure:
        "error: 'rxswift': fatal: '/opt/swift-packages/ReactiveX/RxSwift.git' does not appear to be a git repository",
      request: rx)
    #expect(notMirrored.contains("rxswift") && notMirrored.contains("local package mirror"))
    #expect(
      ExecutorHost.explain(buildFailure: "Failed to clone repository", request: rx).contains("local package mirror"))

    let algorithms = try PackageRequest.parse("'apple/swift-algorithms 9.0.0' Algorithms")
    let noVersion = ExecutorHost.explain(
      buildFailure:
        "error: Dependencies could not be resolved because no versions of 'swift-algorithms' match the requirement 9.0.0..<10.0.0",
      request: algorithms)
    #expect(noVersion.contains("no version of swift-algorithms") && noVersion.contains(algorithms.line))

    let wrongProduct = try PackageRequest.parse("'apple/swift-algorithms 1.2.1' Algo Rithms")
    let noProduct = ExecutorHost.explain(
      buildFailure: "error: product 'Algo' required by package 'x' target 'y' not found in package 'swift-algorithms'.",
      request: wrongProduct)
    #expect(noProduct.contains("no product named Algo or Rithms"))

    #expect(
      ExecutorHost.explain(buildFailure: "error: Invalid manifest\n", request: algorithms)
        .contains("not valid Swift: \(algorithms.line)"))

    #expect(
      ExecutorHost.explain(
        buildFailure: "Compiling\n  error: first problem\nwarning: w\n  error: the last problem  \nBuild failed",
        request: algorithms)
        == "swift build failed: error: the last problem")
    #expect(ExecutorHost.explain(buildFailure: "killed", request: algorithms) == "swift build failed")
  }

  // MARK: Durations as %time and %timeit print them

  @Test func durationsAsIPythonFormatsThem() {
    #expect(DurationFormat.string(0.5) == "500 ms")
    #expect(DurationFormat.string(1.234e-6) == "1.23 \u{B5}s")
    #expect(DurationFormat.string(65) == "1min 5s")
    #expect(DurationFormat.string(3661) == "1h 1min 1s")
    #expect(DurationFormat.string(2) == "2 s")
    #expect(DurationFormat.string(0.0123) == "12.3 ms")
    #expect(DurationFormat.string(4.56e-8) == "45.6 ns")
    #expect(DurationFormat.string(0) == "0 ns")
    #expect(DurationFormat.string(0.5, precision: 1) == "5e+02 ms")
  }
}
