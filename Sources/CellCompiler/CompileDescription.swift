/// How a cell is compiled: its module, imports, search paths and optimisation. The one place the
/// compiler's flags are spelled: the compile service, the spawned frontend (its fallback), code
/// completion, `%timeit` (through `optimization`) and the statement cache's key all read them here.
package struct CompileDescription: Hashable, Sendable {
  package var moduleName: String
  /// `-Onone` for cells (`%opt` changes it), `-O` for `%timeit`.
  package var optimization: String
  /// The lines before the cell's code: earlier cells `@testable import`ed, the runtime, the user's
  /// imports, then the scoped imports (`import var Cell_7.x`) that make the newest declaration win.
  package var imports: [String]
  /// Whether the cell declares something later cells import: then it emits a module, `-enable-testing`.
  package var emitsModule: Bool
  package var moduleCache: String
  /// Where cells' modules are written and found. It holds nothing else: the compiler lists the folders it
  /// searches on every compile, and the work folder holds five files a cell (after 500 declaring cells a
  /// using cell compiled 8 ms slower for them; 1.6 ms with this folder).
  package var moduleFolder: String
  /// The runtime's module folders.
  package var searchPaths: [String]
  /// Search paths and module maps of packages `%install` built.
  package var packageArguments: [String]

  package init(
    moduleName: String, optimization: String, imports: [String], emitsModule: Bool, moduleCache: String,
    moduleFolder: String, searchPaths: [String], packageArguments: [String]
  ) {
    self.moduleName = moduleName
    self.optimization = optimization
    self.imports = imports
    self.emitsModule = emitsModule
    self.moduleCache = moduleCache
    self.moduleFolder = moduleFolder
    self.searchPaths = searchPaths
    self.packageArguments = packageArguments
  }

  /// The cell's source file: its imports, then its program.
  package func source(program: String) -> String {
    imports.joined(separator: "\n") + "\n" + program
  }

  /// What every use shares: the language mode and where modules are found.
  var sharedArguments: [String] {
    ["-swift-version", "5", "-module-cache-path", moduleCache] + ([moduleFolder] + searchPaths).flatMap { ["-I", $0] }
      + packageArguments
  }

  /// What a cell's compile adds: an object with debug information for the debugger and the
  /// symbolizer, unchecked exclusivity (a cell abandoned by a trap or a hard interrupt must leave no
  /// access record behind, and its loops then spend their time in its own code, where a hard stop can
  /// land), and llvm-style messages (what `DiagnosticsMapper` reads).
  private func cellArguments(base: String) -> [String] {
    var arguments = [
      "-parse-as-library", "-g", optimization, "-enforce-exclusivity=unchecked", "-module-name", moduleName,
      "-diagnostic-style", "llvm",
    ]
    arguments += sharedArguments
    if emitsModule { arguments += ["-enable-testing", "-emit-module-path", modulePath] }
    return arguments + [base + ".swift", "-o", base + ".o"]
  }

  /// The module a declaring cell writes for later cells.
  package var modulePath: String { moduleFolder + "/" + moduleName + ".swiftmodule" }

  /// `swift-frontend`'s arguments for the cell at `base` (`.swift` in, `.o` out, and its module).
  package func frontendArguments(base: String) -> [String] {
    ["-frontend", "-c"] + cellArguments(base: base)
  }

  /// The same compile in the driver's words, as SourceKit's `source.request.compile` takes it (one
  /// frontend job for the whole module, as the spawned frontend without `-primary-file` is).
  /// The driver would add a `.swiftsourceinfo` beside the module, which the frontend is not asked for:
  /// writing it took about a tenth of a declaring cell's compile, and later cells' messages name earlier
  /// cells' declarations by name, not by their source location.
  package func driverArguments(base: String) -> [String] {
    ["-c", "-wmo"] + (emitsModule ? ["-avoid-emit-module-source-info"] : []) + cellArguments(base: base)
  }

  /// What code completion compiles the cell's text with (SourceKit adds the file).
  package var completionArguments: [String] {
    ["-module-name", moduleName, "-Onone"] + sharedArguments
  }
}
