/// One tensor of a model's state dict: its PyTorch name, the shape PyTorch gives it, and how to read and
/// replace its values in PyTorch's layout.
struct StateEntry {
  let name: String
  /// The tensor it reads and replaces (what an optimiser's state refers to), if it is one.
  let tensor: Tensor?
  /// PyTorch's shape; `nil` for a size a lazy layer has not learnt yet (it takes it from the file).
  let shape: [Int?]
  let isInteger: Bool
  /// Entries with the same group (one lazy layer's) must take the same shape from a file.
  let group: ObjectIdentifier?
  /// The values now, in PyTorch's layout, with their shape.
  let read: () -> (shape: [Int], values: TensorValues)
  /// Replaces the values (already checked against `shape`); sizes a lazy layer.
  let assign: ([Int], TensorValues) -> Void

  /// A tensor stored as PyTorch stores it.
  static func plain(_ name: String, _ tensor: Tensor, shape: [Int?]? = nil, group: ObjectIdentifier? = nil)
    -> StateEntry
  {
    StateEntry(
      name: name, tensor: tensor, shape: shape ?? tensor.shape, isInteger: false, group: group,
      read: { (tensor.shape, .float32(tensor.scalars)) },
      assign: { shape, values in
        guard case .float32(let scalars) = values else { return }
        tensor.shape = shape
        tensor.scalars = scalars
        tensor.grad = nil
      })
  }

  /// An integer counter PyTorch keeps as an I64 scalar (`num_batches_tracked`).
  static func counter(_ name: String, get: @escaping () -> Int, set: @escaping (Int) -> Void) -> StateEntry {
    StateEntry(
      name: name, tensor: nil, shape: [], isInteger: true, group: nil, read: { ([], .int64([Int64(get())])) },
      assign: { _, values in
        if case .int64(let v) = values, let first = v.first { set(Int(first)) }
      })
  }
}

/// A layer whose state-dict entries are not simply its tensors under their property names (a layer that
/// stores its weight in another layout, or keeps a counter).
protocol StateDictLayer: AnyObject {
  func stateEntries(prefix: String) -> [StateEntry]
}

/// A model's tensors under the names PyTorch's `state_dict()` gives the same model written the book's way.
///
/// Stored properties are walked by reflection (`Mirror`), in declaration order, a superclass's first, as
/// PyTorch registers them: a layer or module by its property's name (`net.`, `conv1.`), a `Sequential`'s
/// layers and an array's elements by index (`net.0.`, `blocks.1.`), a tensor by its property's name (`W`).
/// `Sequential.stages` (the fused copies of its layers) and everything that is not a tensor, layer or
/// module (the board, the trainer) are skipped. A layer reached twice is named once, where first met.
enum StateDict {
  static func entries(of root: AnyObject) -> [StateEntry] {
    var walk = Walk()
    walk.seen.insert(ObjectIdentifier(root))
    walk.visit(object: root, prefix: "")
    return walk.entries
  }

  private struct Walk {
    var entries: [StateEntry] = []
    var seen = Set<ObjectIdentifier>()

    mutating func visit(object: AnyObject, prefix: String) {
      if let layer = object as? StateDictLayer {
        entries += layer.stateEntries(prefix: prefix)
        return
      }
      if let sequential = object as? Sequential {
        for (name, layer) in zip(sequential.names, sequential.layers) { visit(value: layer, name: prefix + name) }
        return
      }
      var mirrors: [Mirror] = []
      var mirror: Mirror? = Mirror(reflecting: object)
      while let m = mirror {
        mirrors.append(m)
        mirror = m.superclassMirror
      }
      for m in mirrors.reversed() {
        for child in m.children {
          guard var label = child.label else { continue }
          // A `lazy var`'s storage.
          if label.hasPrefix("$__lazy_storage_$_") { label.removeFirst("$__lazy_storage_$_".count) }
          visit(value: child.value, name: prefix + label)
        }
      }
    }

    mutating func visit(value: Any, name: String) {
      guard let value = Reflection.unwrapOptional(value) else { return }
      if let tensor = value as? Tensor {
        if seen.insert(ObjectIdentifier(tensor)).inserted { entries.append(.plain(name, tensor)) }
      } else if case let object = value as AnyObject, Reflection.isModelObject(object) {
        if seen.insert(ObjectIdentifier(object)).inserted { visit(object: object, prefix: name + ".") }
      } else {
        // Arrays of layers or tensors, by index; a long [Float] is not walked (Mirror's children are lazy).
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .collection, let first = mirror.children.first.flatMap({ Reflection.unwrapOptional($0.value) }),
          first is Tensor || first is Layer || first is Module || Mirror(reflecting: first).displayStyle == .collection
        else { return }
        for (i, element) in mirror.children.enumerated() { visit(value: element.value, name: name + "." + String(i)) }
      }
    }
  }
}

extension Linear: StateDictLayer {
  /// PyTorch keeps `[outputs, inputs]`; this layer `[inputs, outputs]`: the weight is transposed both ways.
  func stateEntries(prefix: String) -> [StateEntry] {
    let weight = self.weight
    let outputs = self.outputs
    let weightEntry = StateEntry(
      name: prefix + "weight", tensor: weight, shape: [outputs, isMaterialized ? weight.shape[0] : nil], isInteger: false,
      group: nil,
      read: { ([weight.shape[1], weight.shape[0]], .float32(Self.transpose(weight.scalars, rows: weight.shape[0]))) },
      assign: { shape, values in
        guard case .float32(let scalars) = values else { return }
        weight.scalars = Self.transpose(scalars, rows: shape[0])
        weight.shape = [shape[1], shape[0]]
        weight.grad = nil
      })
    return [weightEntry, .plain(prefix + "bias", bias)]
  }

  /// The transpose of a row-major matrix of `rows` rows.
  static func transpose(_ scalars: [Float], rows: Int) -> [Float] {
    guard rows > 0, !scalars.isEmpty else { return scalars }
    let columns = scalars.count / rows
    return [Float](unsafeUninitializedCapacity: scalars.count) { out, initialized in
      scalars.withUnsafeBufferPointer { a in
        // Blocks of 32 × 32 keep both sides in cache.
        for r0 in stride(from: 0, to: rows, by: 32) {
          for c0 in stride(from: 0, to: columns, by: 32) {
            for r in r0..<min(r0 + 32, rows) {
              for c in c0..<min(c0 + 32, columns) { out[c * rows + r] = a[r * columns + c] }
            }
          }
        }
      }
      initialized = scalars.count
    }
  }
}

extension Conv2d: StateDictLayer {
  /// The weight is `[outputs, inputs, k, k]` as PyTorch's; a lazy layer learns `inputs` from the file.
  func stateEntries(prefix: String) -> [StateEntry] {
    let shape: [Int?] = [outputs, isMaterialized ? weight.shape[1] : nil, kernelSize, kernelSize]
    return [.plain(prefix + "weight", weight, shape: shape), .plain(prefix + "bias", bias)]
  }
}

extension BatchNorm: StateDictLayer {
  /// PyTorch's names (`running_mean`, `running_var`, and `num_batches_tracked` as an I64 scalar); a lazy
  /// layer takes its feature count from the file, the same for all four tensors.
  func stateEntries(prefix: String) -> [StateEntry] {
    let shape: [Int?] = [isMaterialized ? features : nil]
    let group = ObjectIdentifier(self)
    return [
      .plain(prefix + "weight", weight, shape: shape, group: group),
      .plain(prefix + "bias", bias, shape: shape, group: group),
      .plain(prefix + "running_mean", runningMean, shape: shape, group: group),
      .plain(prefix + "running_var", runningVar, shape: shape, group: group),
      .counter(prefix + "num_batches_tracked", get: { self.numBatchesTracked }, set: { self.numBatchesTracked = $0 }),
    ]
  }
}
