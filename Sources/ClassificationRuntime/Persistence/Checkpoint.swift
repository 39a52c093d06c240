internal import Foundation

/// A fit's state after an epoch, in one safetensors file (`epoch-<N>.safetensors` in the trainer's
/// checkpoint folder): the model's tensors under their PyTorch names, the optimiser's buffers as
/// `optimizer.state.<parameter index>.<buffer>` (PyTorch's names: `momentum_buffer`, `exp_avg`,
/// `exp_avg_sq`), and in `__metadata__` the epoch, the history, the optimiser's counters and the random
/// generator's state. One file is written and renamed into place, so a checkpoint is whole or absent.
struct Checkpoint {
  static let optimizerPrefix = "optimizer.state."
  private static let key = "swift_kernel.checkpoint."

  var epoch: Int
  var trainBatchIndex: Int
  var valBatchIndex: Int
  var history: History
  var generator: Xoshiro
  var optimizer: OptimizerState

  /// The file of the checkpoint after `epoch` in `directory`.
  static func path(in directory: String, epoch: Int) -> String {
    (StateDictFile.expanded(directory) as NSString).appendingPathComponent("epoch-\(epoch).safetensors")
  }

  /// Writes the checkpoint with `model`'s weights into `directory` (created if missing).
  func save(model: Module, in directory: String) throws {
    let directory = StateDictFile.expanded(directory)
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw SafetensorsError(file: directory, .io("cannot create the checkpoint folder: \(error.localizedDescription)"))
    }
    let extra = optimizer.buffers.keys.sorted().map {
      SafetensorsWriter.Item(
        name: Self.optimizerPrefix + $0, shape: [optimizer.buffers[$0]!.count], values: .float32(optimizer.buffers[$0]!))
    }
    var metadata = [
      Self.key + "epoch": String(epoch), Self.key + "train_batch_index": String(trainBatchIndex),
      Self.key + "val_batch_index": String(valBatchIndex), Self.key + "history": Self.text(history),
      Self.key + "generator": generator.state.map { String($0, radix: 16) }.joined(separator: " "),
    ]
    for (name, value) in optimizer.counters { metadata[Self.key + "optimizer." + name] = String(value) }
    try StateDictFile.save(model, to: Self.path(in: directory, epoch: epoch), extra: extra, metadata: metadata)
  }

  /// The epochs of the checkpoints in `directory`, oldest first.
  static func epochs(in directory: String) -> [Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.compactMap { name -> Int? in
      guard name.hasPrefix("epoch-"), name.hasSuffix(".safetensors") else { return nil }
      return Int(name.dropFirst("epoch-".count).dropLast(".safetensors".count))
    }.sorted()
  }

  /// Removes all but the newest `kept` checkpoints in `directory` (only files named as checkpoints).
  static func removeOlder(in directory: String, keeping kept: Int) {
    for epoch in epochs(in: StateDictFile.expanded(directory)).dropLast(kept) {
      try? FileManager.default.removeItem(atPath: path(in: directory, epoch: epoch))
    }
  }

  /// The newest checkpoint in a folder, or the file itself.
  static func resolve(_ path: String) throws -> String {
    let path = StateDictFile.expanded(path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw SafetensorsError(file: path, .io("no such file or folder"))
    }
    guard isDirectory.boolValue else { return path }
    guard let last = epochs(in: path).last else {
      throw SafetensorsError(file: path, .badCheckpoint("the folder has no epoch-<N>.safetensors"))
    }
    return Self.path(in: path, epoch: last)
  }

  /// Reads the checkpoint at `path` (a file, or the newest in a folder) into `model` and `optimizer`,
  /// after checking all of it: on any error neither changes.
  static func load(_ path: String, into model: Module, optimizer: Optimizer) throws -> Checkpoint {
    let file = try SafetensorsFile(path: try resolve(path))
    let entries = StateDict.entries(of: model)
    let loaded = try StateDictFile.read(entries, from: file) { $0.hasPrefix(optimizerPrefix) }
    func bad(_ message: String) -> SafetensorsError { SafetensorsError(file: file.path, .badCheckpoint(message)) }
    func integer(_ name: String) throws -> Int {
      guard let text = file.metadata[key + name], let value = Int(text) else { throw bad("no \(key + name)") }
      return value
    }
    let words = (file.metadata[key + "generator"] ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
    guard words.count == 4 else { throw bad("no random generator state (\(key)generator)") }
    var generator = Xoshiro(seed: 0)
    generator.state = words
    guard let history = file.metadata[key + "history"].flatMap(Self.history) else { throw bad("no history") }

    // The optimiser's buffers must fit the parameters as they will be once the model is loaded.
    var sizes: [ObjectIdentifier: Int] = [:]
    for (entry, shape, _) in loaded { if let t = entry.tensor { sizes[ObjectIdentifier(t)] = shape.reduce(1, *) } }
    var state = OptimizerState()
    for name in file.names where name.hasPrefix(optimizerPrefix) {
      let key = String(name.dropFirst(optimizerPrefix.count))
      guard let index = key.split(separator: ".").first.flatMap({ Int($0) }), optimizer.parameters.indices.contains(index)
      else { throw SafetensorsError(file: file.path, tensor: name, .badCheckpoint("no parameter of the optimiser has this index")) }
      let parameter = optimizer.parameters[index]
      let size = sizes[ObjectIdentifier(parameter)] ?? parameter.count
      guard case .float32(let values) = try file.values(of: name), values.count == size else {
        throw SafetensorsError(
          file: file.path, tensor: name,
          .shapeMismatch(fileShape: file.entries[name]!.shape, modelShape: [size]))
      }
      state.buffers[key] = values
    }
    for (name, text) in file.metadata where name.hasPrefix(key + "optimizer.") {
      guard let value = Int(text) else { throw bad("\(name) is not a number") }
      state.counters[String(name.dropFirst((key + "optimizer.").count))] = value
    }
    let checkpoint = Checkpoint(
      epoch: try integer("epoch"), trainBatchIndex: try integer("train_batch_index"),
      valBatchIndex: try integer("val_batch_index"), history: history, generator: generator, optimizer: state)

    StateDictFile.assign(loaded, to: model)
    optimizer.restore(state)
    return checkpoint
  }

  /// The history as JSON, each number as the text that reads back to the same `Double`.
  static func text(_ history: History) -> String {
    let epochs: [[String: Any]] = history.epochs.map { m in
      ["epoch": m.epoch, "seconds": "\(m.seconds)", "values": m.values.mapValues { "\($0)" }]
    }
    let data = (try? JSONSerialization.data(withJSONObject: epochs, options: [.sortedKeys])) ?? Data("[]".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func history(_ text: String) -> History? {
    guard let epochs = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] else { return nil }
    var history = History()
    for fields in epochs {
      guard let epoch = (fields["epoch"] as? NSNumber)?.intValue, let values = fields["values"] as? [String: String]
      else { return nil }
      var metrics = EpochMetrics(epoch: epoch)
      var sums: [String: (total: Double, count: Int)] = [:]
      for (label, value) in values {
        guard let number = Double(value) else { return nil }
        sums[label] = (number, 1)
      }
      metrics.absorb(sums)
      metrics.seconds = (fields["seconds"] as? String).flatMap(Double.init) ?? 0
      history.epochs.append(metrics)
    }
    return history
  }
}
