import Foundation
import ExecutorWire
import ProcessSupport

package enum CompileError: Error, CustomStringConvertible {
  case toolchain(String)
  package var description: String {
    switch self {
    case .toolchain(let why): why
    }
  }
}

/// A cell compiled into a shared library, ready for the executor.
package struct CompiledCell: Sendable {
  package var library: String
  package var entryPoint: String
  /// The label it was compiled with: its `<Cell N>` in traps (a re-run cell runs under another label).
  package var label: Int
  var declaredNames: [DeclaredName]
}

/// Why a cell did not compile: the traceback lines of its `error` output.
package struct CompileFailure: Error, Sendable {
  package var summary: String
  package var traceback: [String]
}

/// Compiles cells one at a time into shared libraries that import the earlier cells and the runtime.
package final class CellCompiler {
  package let toolchain: Toolchain
  package let workDirectory: URL
  /// The cells' debugger paths (`#sourceLocation`), and the way back to `<Cell N>` for messages.
  package let cellFiles: CellFiles
  /// Where cells' modules are written (`CompileDescription.moduleFolder`), inside the work folder.
  package let moduleFolder: URL
  /// Folders with the runtime's `.swiftmodule` files.
  package let moduleSearchPaths: [String]
  var scope = SessionScope()
  /// Libraries of the cells that compiled and declare something, oldest first (the executor loads them
  /// again after a restart).
  package private(set) var libraries: [String] = []
  package var optimization = "-Onone"
  /// Search paths and module maps of packages `%install` built, given to every later compile.
  package var packageArguments: [String] = []
  /// Told the pid of each compiler or linker run as it starts (nil when it ends), so that an interrupt
  /// can stop a compile.
  package var toolStarted: ((pid_t?) -> Void)?
  /// Whether the cell being compiled was interrupted (or the kernel is shutting down): then a compile
  /// the interrupt ended is not done again the old way.
  package var stopRequested: (() -> Bool)?
  /// The compile service, when the kernel runs one: cells compile there, else (or when it fails) with a
  /// spawned `swift-frontend`.
  package var service: CompileService? {
    didSet {
      service?.warmUp = { [weak self] in self?.warmUpArguments() }
    }
  }
  private var sources: [Int: String] = [:]
  private var nextCell = 1
  private let moduleCache: String
  /// Libraries (`swiftCore`, `Foundation`, …) the executor has loaded before any cell: a cell's
  /// references to them resolve at `dlopen`, so linking them again only costs time.
  private let preloadedLibraries: Set<String>
  /// Cells of statements only, by their text and imports: running the same cell again runs its library
  /// again instead of compiling it again.
  private var statementCells: [StatementKey: CompiledCell] = [:]
  /// Values of earlier cells that a restart of the executor lost, with the cell that defined them.
  package private(set) var lostValues: [String: Int] = [:]
  /// The label each cell's module was compiled as.
  private var moduleLabels: [String: Int] = [:]

  private struct StatementKey: Hashable {
    var code: String
    var file: String?
    /// The description with no module name (each compile has a new one).
    var description: CompileDescription
  }

  package init(
    toolchain: Toolchain, workDirectory: URL, moduleSearchPaths: [String], preloadedLibraries: Set<String> = []
  ) throws {
    self.toolchain = toolchain
    self.workDirectory = workDirectory
    self.moduleSearchPaths = moduleSearchPaths
    self.preloadedLibraries = preloadedLibraries
    cellFiles = CellFiles(folder: workDirectory.appendingPathComponent("cells"))
    moduleFolder = workDirectory.appendingPathComponent("modules")
    try FileManager.default.createDirectory(at: moduleFolder, withIntermediateDirectories: true)
    let cacheRoot = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache"
    moduleCache = cacheRoot + "/swift-kernel/ModuleCache"
  }

  /// The session's variables (top-level `let` and `var` of earlier cells, newest declaration of each
  /// name) whose values the executor still holds, sorted.
  package var variables: [String] {
    scope.newest.filter { ($0.value.kind == .let || $0.value.kind == .var) && lostValues[$0.key] == nil }.keys.sorted()
  }

  /// What code completion needs to see `code` as the next cell would: the imports its compile would
  /// have (earlier cells it uses, the runtime, the user's imports), and the compiler's search paths.
  /// A non-empty `prefix` outside a member also imports the cells that declare names starting with it,
  /// so that SourceKit offers them with their types and initialisers.
  package func completionContext(for code: String, prefix: String = "") -> (imports: [String], arguments: [String]) {
    let candidates = prefix.isEmpty ? [] : scope.newest.keys.filter { $0.hasPrefix(prefix) }.sorted()
    let cell = CellRewriter(cellNumber: nextCell, label: 0).rewrite(
      code + "\n" + candidates.joined(separator: "\n"), scope: scope)
    var completing = description(of: cell)
    completing.moduleName = "CellCompletion"
    return (completing.imports, completing.completionArguments)
  }

  /// How `cell` is compiled: its imports, the session's search paths and the optimisation level.
  func description(of cell: RewrittenCell) -> CompileDescription {
    CompileDescription(
      moduleName: cell.moduleName, optimization: optimization, imports: cell.header,
      emitsModule: cell.declaresAnything, moduleCache: moduleCache,
      moduleFolder: moduleFolder.path, searchPaths: moduleSearchPaths, packageArguments: packageArguments)
  }

  /// What a new compile service compiles first: an empty file that imports the runtime, so that the
  /// first cell finds its modules loaded and mapped.
  private func warmUpArguments() -> [String]? {
    let cell = CellRewriter(cellNumber: 0, label: 0).rewrite("", scope: SessionScope())
    var warm = description(of: cell)
    warm.moduleName = "CellWarmUp"
    let base = workDirectory.appendingPathComponent("CellWarmUp").path
    guard (try? ScratchFile.write(warm.source(program: ""), to: base + ".swift")) != nil
    else { return nil }
    return warm.driverArguments(base: base)
  }

  /// The text of the cell the user knows as `<Cell label>`, for tracebacks.
  package func source(ofCell label: Int) -> String? { sources[label] }

  /// Forgets every earlier cell: after the executor restarts, their state is gone.
  package func reset() {
    scope = SessionScope()
    libraries = []
    statementCells = [:]
    lostValues = [:]
  }

  /// The executor restarted with the earlier libraries loaded again: their values are gone. Returns the
  /// names of those values; a later cell that uses one is told which cell to run again.
  package func loseValues() -> [String] {
    statementCells = [:]
    for (name, origin) in scope.newest where origin.kind == .let || origin.kind == .var {
      lostValues[name] = moduleLabels[origin.module] ?? 0
    }
    return lostValues.keys.sorted()
  }

  /// The libraries this process has loaded (from `/proc/self/maps`), as `-l` names.
  package static func librariesOfThisProcess() -> Set<String> {
    // /proc files report a size of 0, so read until the end rather than by the size.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/maps"), let data = try? handle.readToEnd() else {
      return []
    }
    let maps = String(decoding: data, as: UTF8.self)
    var names = Set<String>()
    for line in maps.split(separator: "\n") {
      guard let slash = line.lastIndex(of: "/") else { continue }
      let file = line[line.index(after: slash)...]
      guard file.hasPrefix("lib"), let so = file.range(of: ".so") else { continue }
      names.insert(String(file[file.index(file.startIndex, offsetBy: 3)..<so.lowerBound]))
    }
    return names
  }

  /// Compiles a cell; on failure the session's scope is left as it was. `cell` is the whole cell's text
  /// when `code` is one step of it (magics blanked out): its debugger path names the cell's lines.
  /// Code of no cell (user expressions, label 0) is compiled as `<Cell 0>`.
  package func compile(_ code: String, label: Int, cell whole: String? = nil) throws -> Result<
    CompiledCell, CompileFailure
  > {
    let clock = StageClock()
    let number = nextCell
    nextCell += 1
    sources[label] = code
    var file: String?
    if label > 0 {
      file = try cellFiles.write(whole ?? code)
      cellFiles.record(file!, label: label)
    }
    let rewriter = CellRewriter(cellNumber: number, label: label, file: file)
    var cell = rewriter.rewrite(code, scope: scope)
    clock.mark("rewrite (swift-syntax, imports)")
    let ownNames = Set(cell.declaredNames.map(\.name))
    let lost = cell.symbols.used.subtracting(ownNames).filter { lostValues[$0] != nil }.sorted()
    if !lost.isEmpty {
      let cells = Set(lost.compactMap { lostValues[$0] }).sorted().map { CellLabel($0).description }
      let which = lost.map { "'\($0)'" }.joined(separator: ", ")
      let summary = "\(which) \(lost.count == 1 ? "was" : "were") lost when the executor restarted"
      return .failure(
        CompileFailure(
          summary: summary,
          traceback: [
            "error: \(summary); run \(cells.joined(separator: ", ")) again to define \(lost.count == 1 ? "it" : "them")."
          ]))
    }
    var keyed = description(of: cell)
    keyed.moduleName = ""
    let key = StatementKey(code: code, file: file, description: keyed)
    if !cell.declaresAnything, let compiled = statementCells[key] {
      StageClock().mark("the same cell of statements as \(CellLabel(compiled.label)): not compiled again")
      return .success(compiled)
    }
    let base = workDirectory.appendingPathComponent(cell.moduleName).path
    var compiled = try compileObject(cell, base: base, clock: clock)
    if compiled.status != 0, cell.cellImports.modules.count < scope.modules.count,
      mayNeedMoreImports(DiagnosticsMapper.parse(cellFiles.labelled(compiled.stderr)))
    {
      // A use no name revealed (a member reached through a type of an earlier cell, say): the whole
      // session's imports, as every cell had before imports followed use.
      cell.cellImports = scope.imports(
        for: cell.symbols, declaring: Set(cell.declaredNames.map(\.name)), everything: true)
      compiled = try compileObject(cell, base: base, clock: clock, again: true)
    }
    guard compiled.status == 0 else {
      let diagnostics = DiagnosticsMapper.parse(cellFiles.labelled(compiled.stderr))
      var traceback = DiagnosticsMapper.traceback(
        diagnostics, cellNumber: label, columns: cell.columns, source: { self.sources[$0] })
      if traceback.isEmpty {
        // A compiler crash: its first lines say what it was doing; its stack dump can run to thousands.
        let lines = cellFiles.labelled(compiled.stderr).split(separator: "\n").map(String.init)
        traceback = ["error: the compiler failed:"] + lines.prefix(Self.crashLines)
        if lines.count > Self.crashLines { traceback.append("… (\(lines.count - Self.crashLines) more lines)") }
      }
      let summary = diagnostics.first { $0.severity == .error }?.message ?? "compilation failed"
      return .failure(CompileFailure(summary: summary, traceback: traceback))
    }
    let libraries = try linkLibraries(objectFile: base + ".o")
    let library = workDirectory.appendingPathComponent("lib\(cell.moduleName).so").path
    // The linker directly (the clang driver would only start it); --eh-frame-hdr keeps backtraces working.
    let linked = try Subprocess.run(
      toolchain.linker,
      [
        "-shared", "--hash-style=gnu", "--eh-frame-hdr", toolchain.swiftrt, base + ".o", "-L",
        toolchain.swiftLibraryDirectory,
      ]
        + toolchain.systemLibraryDirectories.flatMap { ["-L", $0] }
        + libraries + ["-rpath", toolchain.swiftLibraryDirectory, "-o", library], started: toolStarted)
    clock.mark("link")
    guard linked.status == 0 else {
      return .failure(
        CompileFailure(
          summary: "linking failed",
          traceback: ["error: linking the cell failed:"] + linked.stderr.split(separator: "\n").map(String.init)))
    }
    moduleLabels[cell.moduleName] = label
    for name in cell.declaredNames { lostValues[name.name] = nil }
    scope.record(
      module: cell.moduleName, names: cell.declaredNames, imports: cell.imports,
      declaresAnything: cell.declaresAnything,
      symbols: cell.symbols, importedModules: cell.cellImports.modules)
    // A cell of statements only declares nothing a later cell needs loaded; it is loaded when it runs.
    if cell.declaresAnything { self.libraries.append(library) }
    let compiledCell = CompiledCell(
      library: library, entryPoint: cell.entryPoint, label: label, declaredNames: cell.declaredNames)
    if !cell.declaresAnything { statementCells[key] = compiledCell }
    return .success(compiledCell)
  }

  /// How much of a compiler's crash output a cell's error shows.
  static let crashLines = 25

  /// Compiles a cell into an object, and a module for later cells when it declares something: in the
  /// compile service, else (none, or it failed) with `swift-frontend`. `stderr` holds the messages as
  /// the frontend prints them (`-diagnostic-style llvm`) either way.
  private func compileObject(_ cell: RewrittenCell, base: String, clock: StageClock, again: Bool = false) throws
    -> Subprocess.Result
  {
    let description = description(of: cell)
    try ScratchFile.write(description.source(program: cell.program), to: base + ".swift")
    let imported = again ? "every earlier cell" : "\(cell.cellImports.modules.count) of \(scope.modules.count) cells"
    if let service {
      let outputs = [base + ".o"] + (description.emitsModule ? [description.modulePath] : [])
      for output in outputs { try? FileManager.default.removeItem(atPath: output) }
      if let reply = service.compile(
        description.driverArguments(base: base), started: toolStarted, interrupted: stopRequested)
      {
        let written = outputs.allSatisfy { FileManager.default.fileExists(atPath: $0) }
        if !reply.succeeded || written {
          clock.mark("compile service (\(imported) imported)")
          let messages = reply.messages.map(\.llvmStyle).joined(separator: "\n")
          return Subprocess.Result(status: reply.succeeded ? 0 : 1, stdout: "", stderr: messages)
        }
        Log.info("the compile service reported success but wrote no \(outputs.joined(separator: ", ")): compiling with swift-frontend")
      }
      if stopRequested?() == true {
        return Subprocess.Result(status: 1, stdout: "", stderr: "error: the compile was interrupted")
      }
    }
    let result = try Subprocess.run(toolchain.frontend, description.frontendArguments(base: base), started: toolStarted)
    clock.mark("frontend (\(imported) imported)")
    return result
  }

  /// Whether a failed compile may be one of too few imports: an error about a name or member that an
  /// earlier cell declares, or about access to one. A typo of a name nobody declared is not retried.
  private func mayNeedMoreImports(_ diagnostics: [Diagnostic]) -> Bool {
    for diagnostic in diagnostics where diagnostic.severity == .error {
      let message = diagnostic.message
      if message.contains("internal") || message.contains("inaccessible") || message.contains("does not conform")
        || message.contains("ambiguous")
      {
        return true
      }
      let quoted = message.split(separator: "'", omittingEmptySubsequences: false).enumerated()
        .filter { $0.offset % 2 == 1 }.map { String($0.element) }
      for name in quoted where scope.newest[name] != nil || scope.memberModules[name] != nil { return true }
    }
    return false
  }

  /// Libraries glibc 2.34 merged into libc, left as empty archives (Glibc's module asks for two of them):
  /// linking them only cost the linker a search (0.4 ms a cell).
  static let mergedIntoLibc: Set<String> = ["-ldl", "-lutil", "-lpthread", "-lrt", "-lanl"]
  static let libcHasMergedLibraries: Bool = {
    var buffer = [CChar](repeating: 0, count: 64)
    guard confstr(Int32(_CS_GNU_LIBC_VERSION), &buffer, buffer.count) > 0 else { return false }
    return glibcMergedLibraries(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }()

  /// Whether the glibc that `confstr(_CS_GNU_LIBC_VERSION)` names ("glibc 2.36") holds `mergedIntoLibc`.
  static func glibcMergedLibraries(_ version: String) -> Bool {
    let parts = version.split(separator: " ").last?.split(separator: ".").compactMap { Int($0) } ?? []
    return parts.count >= 2 && (parts[0], parts[1]) >= (2, 34)
  }

  /// The `-l` flags the object asks for, except the runtime, earlier cells, what the executor loaded
  /// before any cell and what libc holds: the executor has loaded those already, and a SwiftPM dynamic
  /// library has no SONAME the loader could find it by.
  private func linkLibraries(objectFile: String) throws -> [String] {
    Self.linkFlags(
      autolinked: try AutolinkEntries.read(objectFile: objectFile), preloaded: preloadedLibraries,
      libcHasMerged: Self.libcHasMergedLibraries)
  }

  static func linkFlags(autolinked: [String], preloaded: Set<String>, libcHasMerged: Bool) -> [String] {
    var flags = autolinked
    flags.removeAll {
      $0 == "-lClassificationRuntime" || $0 == "-lExecutorWire" || $0.hasPrefix("-lCell_")
        || ($0.hasPrefix("-l") && preloaded.contains(String($0.dropFirst(2))))
        || (libcHasMerged && mergedIntoLibc.contains($0))
    }
    if !flags.contains("-lswiftSwiftOnoneSupport") && !preloaded.contains("swiftSwiftOnoneSupport") {
      flags.append("-lswiftSwiftOnoneSupport")
    }
    return flags
  }
}
