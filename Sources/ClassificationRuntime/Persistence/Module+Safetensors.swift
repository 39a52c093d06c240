internal import Foundation

extension Module {
  /// Writes the model's weights as safetensors, named as PyTorch's `state_dict()` of the book's model
  /// (`net.0.weight`, …), so `model.load_state_dict(safetensors.torch.load_file(path))` reads them.
  ///
  /// The file is written beside `path` and renamed over it, so it is whole or absent. The header's
  /// `__metadata__` holds the model's type and the runtime's version.
  public func save(to path: String) throws { try StateDictFile.save(self, to: path) }

  /// Replaces the model's weights with a safetensors file's (F32, F16 or BF16; PyTorch's names and
  /// layout). A lazy layer that has not seen a batch takes its size from the file.
  ///
  /// Everything is checked before anything changes: on any error (a damaged file, a missing or extra
  /// tensor, a shape that does not fit) the model is as it was, and the error names the file, the
  /// tensor and both shapes.
  public func load(from path: String) throws { try StateDictFile.load(self, from: path) }
}

extension Layer {
  /// Writes the layer's weights as safetensors under PyTorch's names (`0.weight` for a `Sequential`).
  public func save(to path: String) throws { try StateDictFile.save(self, to: path) }

  /// Replaces the layer's weights with a safetensors file's; unchanged on any error.
  public func load(from path: String) throws { try StateDictFile.load(self, from: path) }
}

/// Saving and loading a model's state dict as one safetensors file.
enum StateDictFile {
  /// What `__metadata__` calls this runtime.
  static let runtimeVersion = "swift-kernel ClassificationRuntime 0.3"

  static func save(_ root: AnyObject, to path: String, extra: [SafetensorsWriter.Item] = [], metadata: [String: String] = [:])
    throws
  {
    let path = expanded(path)
    var items: [SafetensorsWriter.Item] = []
    for entry in StateDict.entries(of: root) {
      guard !entry.shape.contains(where: { $0 == nil }) else {
        throw SafetensorsError(file: path, tensor: entry.name, .notMaterialized)
      }
      let (shape, values) = entry.read()
      items.append(.init(name: entry.name, shape: shape, values: values))
    }
    var header = ["format": "pt", "swift_kernel.model": String(reflecting: type(of: root)), "swift_kernel.runtime": runtimeVersion]
    header.merge(metadata) { $1 }
    try SafetensorsWriter.write(items + extra, metadata: header, to: path)
  }

  static func load(_ root: AnyObject, from path: String) throws {
    let file = try SafetensorsFile(path: expanded(path))
    let loaded = try read(StateDict.entries(of: root), from: file)
    assign(loaded, to: root)
  }

  /// The file's values for `entries`, each checked; `isOwnEntry` names the file's other tensors that are
  /// not an error (a checkpoint's optimiser state). Throws before anything changes.
  static func read(_ entries: [StateEntry], from file: SafetensorsFile, isOwnEntry: (String) -> Bool = { _ in false })
    throws -> [(StateEntry, [Int], TensorValues)]
  {
    var groupShapes: [ObjectIdentifier: [Int]] = [:]
    var checked: [(StateEntry, SafetensorsFile.Entry)] = []
    for entry in entries {
      guard let stored = file.entries[entry.name] else {
        throw SafetensorsError(file: file.path, tensor: entry.name, .missingTensor(modelShape: entry.shape))
      }
      if stored.dtype.isInteger != entry.isInteger {
        throw SafetensorsError(
          file: file.path, tensor: entry.name,
          .dtypeMismatch(fileDType: stored.dtype.rawValue, modelDType: entry.isInteger ? "I64" : "F32"))
      }
      let fits =
        stored.shape.count == entry.shape.count
        && zip(stored.shape, entry.shape).allSatisfy { file, model in model == nil || model == file }
      let agrees = entry.group.map { group in groupShapes[group].map { $0 == stored.shape } ?? true } ?? true
      guard fits, agrees else {
        throw SafetensorsError(
          file: file.path, tensor: entry.name, .shapeMismatch(fileShape: stored.shape, modelShape: entry.shape))
      }
      if let group = entry.group { groupShapes[group] = stored.shape }
      checked.append((entry, stored))
    }
    let known = Set(entries.map(\.name))
    for name in file.names where !known.contains(name) && !isOwnEntry(name) {
      throw SafetensorsError(file: file.path, tensor: name, .unexpectedTensor(fileShape: file.entries[name]!.shape))
    }
    return try checked.map { entry, stored in (entry, stored.shape, try file.values(of: entry.name)) }
  }

  /// Puts checked values into the model (nothing here can fail).
  static func assign(_ loaded: [(StateEntry, [Int], TensorValues)], to root: AnyObject) {
    for (entry, shape, values) in loaded { entry.assign(shape, values) }
    // The book's models initialise their weights on their first batch; loaded weights are not to be replaced.
    for case let module as Module in [root] + Reflection.objects(in: root) { module.initializerOnFirstBatch = nil }
  }

  static func expanded(_ path: String) -> String { NSString(string: path).expandingTildeInPath }
}
