internal import Foundation

/// Finds parameters and layers inside an object by walking its stored properties (`Mirror`).
enum Reflection {
  /// Every object reachable through stored properties, arrays and optionals, each once, in order.
  static func objects(in root: AnyObject) -> [AnyObject] {
    var seen = Set<ObjectIdentifier>([ObjectIdentifier(root)])
    var found: [AnyObject] = []
    var pending: [Any] = [root]
    while !pending.isEmpty {
      let value = pending.removeFirst()
      var mirror: Mirror? = Mirror(reflecting: value)
      var children: [Any] = []
      while let m = mirror {
        children += m.children.map(\.value)
        mirror = m.superclassMirror
      }
      // Keep declaration order: superclass properties first, as written.
      for child in children {
        let unwrapped = unwrapOptional(child)
        guard let unwrapped else { continue }
        if let tensor = unwrapped as? Tensor {
          if seen.insert(ObjectIdentifier(tensor)).inserted { found.append(tensor) }
        } else if case let object = unwrapped as AnyObject, isModelObject(object) {
          if seen.insert(ObjectIdentifier(object)).inserted {
            found.append(object)
            pending.append(object)
          }
        } else if Mirror(reflecting: unwrapped).displayStyle == .collection
          || Mirror(reflecting: unwrapped).displayStyle == .tuple
        {
          pending.append(unwrapped)
        }
      }
    }
    return found
  }

  static func isModelObject(_ object: AnyObject) -> Bool { object is Layer || object is Module }

  static func unwrapOptional(_ value: Any) -> Any? {
    let mirror = Mirror(reflecting: value)
    guard mirror.displayStyle == .optional else { return value }
    return mirror.children.first.map(\.value)
  }

  /// The tensors that need gradients, in the order they were found.
  static func parameters(in root: AnyObject) -> [Tensor] {
    objects(in: root).compactMap { $0 as? Tensor }.filter(\.requiresGrad)
  }
}
