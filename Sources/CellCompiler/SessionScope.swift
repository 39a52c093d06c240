/// A top-level name a cell declares, with the kind a scoped import needs (`import var Cell_3.x`).
struct DeclaredName: Hashable, Sendable {
  enum Kind: String, Sendable { case `var`, `let`, `func`, `struct`, `class`, `enum`, `protocol`, `typealias` }
  var name: String
  var kind: Kind
}

/// What a cell's syntax says it declares and uses, without compiling it.
struct CellSymbols: Sendable, Equatable {
  /// Every identifier the cell mentions: names, members after a dot, argument labels, types.
  var used: Set<String> = []
  /// Members the cell declares inside types and extensions (`x` of `struct P { var x }`), with the
  /// types they belong to (`P`; `Int` for `extension Int`).
  var members: [String: Set<String>] = [:]
  /// Whether the cell declares what no name reveals at a use: operators, conformances added by an
  /// extension, initialisers or subscripts added to another module's type.
  var declaresImplicitUses = false
}

/// The imports one cell is compiled with.
struct CellImports: Sendable, Equatable {
  /// Earlier cells' modules, imported `@testable` (oldest first).
  var modules: [String]
  /// `import var Cell_7.x` lines: the newest declaration of each name the cell uses wins.
  var scoped: [String]
}

/// What the compiler has learnt from earlier cells and needs for the next one.
///
/// A cell imports only the earlier cells whose declarations it can use: the newest module of each
/// name it mentions, every module declaring a member it mentions (unless its own types declare that
/// member: then only extensions of types no cell declared), the modules that declare operators
/// or conformances, and what those modules imported in turn (a value's type must stay accessible
/// where the value is used). So a cell's imports follow what it uses, not the session's length.
struct SessionScope: Sendable {
  /// Modules of earlier cells that declare something, oldest first.
  var modules: [String] = []
  /// The newest module that declares each name.
  var newest: [String: (module: String, kind: DeclaredName.Kind)] = [:]
  /// `import` lines users wrote, repeated in every later cell (imports are per file in Swift).
  var userImports: [String] = []
  /// Where each member name is declared: the module, the type it belongs to, and the module that
  /// declared that type then (nil for a type no cell declared: an extension of `Int` or `Tensor`).
  var memberModules: [String: [MemberOrigin]] = [:]

  struct MemberOrigin: Hashable, Sendable {
    var module: String
    var owner: String
    var ownerModule: String?
  }
  /// Modules every later cell imports, because no name reveals their use.
  var alwaysImported: Set<String> = []
  /// The modules each module was compiled with, itself included.
  var closure: [String: Set<String>] = [:]

  init() {}

  /// The imports of a cell that uses `symbols` and declares `ownNames`; `everything` gives the whole
  /// session (the fallback when a compile with fewer imports failed on a name).
  func imports(for symbols: CellSymbols, declaring ownNames: Set<String>, everything: Bool = false) -> CellImports {
    let usedNames = symbols.used.subtracting(ownNames)
    var direct = alwaysImported
    for name in usedNames {
      if let origin = newest[name] { direct.insert(origin.module) }
    }
    for name in symbols.used {
      // A member this cell's own types declare is taken to be theirs: earlier cells' types with a member
      // of that name (every `Point` with an `x`) are not imported for it. A value of such a type comes
      // from a name, which imports its module; a member meant from an earlier extension fails to compile,
      // naming the member, and the compile is tried again with every cell. Extensions of types no cell
      // declared (`extension Tensor`) still count: no name brings them in.
      let ownMember = symbols.members[name] != nil
      // A member counts while the type it belongs to is still the one it was declared on: members of a
      // type declared again since (a model cell run again and again) are not the newest's.
      for origin in memberModules[name] ?? [] where !ownNames.contains(origin.owner) {
        if ownMember && origin.ownerModule != nil { continue }
        if origin.ownerModule == nil || newest[origin.owner]?.module == origin.ownerModule {
          direct.insert(origin.module)
        }
      }
    }
    var modules = Set<String>()
    for module in direct { modules.formUnion(closure[module] ?? [module]) }
    if everything { modules = Set(self.modules) }
    let ordered = self.modules.filter(modules.contains)
    let scopedNames = everything ? Set(newest.keys).subtracting(ownNames) : usedNames
    let scoped = scopedNames.sorted().compactMap { name in
      newest[name].map { "import \($0.kind.rawValue) \($0.module).\(name)" }
    }
    return CellImports(modules: ordered, scoped: scoped)
  }

  mutating func record(
    module: String, names: [DeclaredName], imports: [String], declaresAnything: Bool = true,
    symbols: CellSymbols = CellSymbols(), importedModules: [String] = []
  ) {
    // A cell of statements only has nothing to import; skipping it keeps later compiles fast.
    if declaresAnything {
      modules.append(module)
      closure[module] = Set(importedModules).union([module])
      let declaredHere = Set(names.map(\.name))
      for (member, owners) in symbols.members {
        for owner in owners {
          let ownerModule = declaredHere.contains(owner) ? module : newest[owner]?.module
          memberModules[member, default: []].append(
            MemberOrigin(module: module, owner: owner, ownerModule: ownerModule))
        }
      }
      if symbols.declaresImplicitUses { alwaysImported.insert(module) }
    }
    for name in names { newest[name.name] = (module, name.kind) }
    for line in imports where !userImports.contains(line) { userImports.append(line) }
  }
}
