import CSourceKitD
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The toolchain's in-process SourceKit (`libsourcekitdInProc.so`), loaded with `dlopen`: only the
/// calls code completion needs. It runs in the completion server process, never in the kernel, so a
/// crash in it costs a completion, not the session.
final class SourceKitD {
  private typealias UIDFromString = @convention(c) (UnsafePointer<CChar>) -> sourcekitd_uid_t?
  private typealias UIDToString = @convention(c) (sourcekitd_uid_t) -> UnsafePointer<CChar>?
  private typealias DictionaryCreate =
    @convention(c) (UnsafePointer<sourcekitd_uid_t?>?, UnsafePointer<sourcekitd_object_t?>?, Int) ->
    sourcekitd_object_t?
  private typealias SetUID = @convention(c) (sourcekitd_object_t, sourcekitd_uid_t, sourcekitd_uid_t) -> Void
  private typealias SetString = @convention(c) (sourcekitd_object_t, sourcekitd_uid_t, UnsafePointer<CChar>) -> Void
  private typealias SetInt = @convention(c) (sourcekitd_object_t, sourcekitd_uid_t, Int64) -> Void
  private typealias SetValue = @convention(c) (sourcekitd_object_t, sourcekitd_uid_t, sourcekitd_object_t) -> Void
  private typealias ArrayCreate = @convention(c) (UnsafePointer<sourcekitd_object_t?>?, Int) -> sourcekitd_object_t?
  private typealias ArrayAppendString = @convention(c) (sourcekitd_object_t, Int, UnsafePointer<CChar>) -> Void
  private typealias Release = @convention(c) (sourcekitd_object_t) -> Void
  private typealias Send = @convention(c) (sourcekitd_object_t) -> sourcekitd_response_t?
  private typealias IsError = @convention(c) (sourcekitd_response_t) -> Bool
  private typealias ErrorText = @convention(c) (sourcekitd_response_t) -> UnsafePointer<CChar>?
  private typealias ResponseValue = @convention(c) (sourcekitd_response_t) -> sourcekitd_variant_t
  private typealias Dispose = @convention(c) (sourcekitd_response_t) -> Void
  private typealias GetValue = @convention(c) (sourcekitd_variant_t, sourcekitd_uid_t) -> sourcekitd_variant_t
  private typealias GetString = @convention(c) (sourcekitd_variant_t, sourcekitd_uid_t) -> UnsafePointer<CChar>?
  private typealias GetInt = @convention(c) (sourcekitd_variant_t, sourcekitd_uid_t) -> Int64
  private typealias GetUID = @convention(c) (sourcekitd_variant_t, sourcekitd_uid_t) -> sourcekitd_uid_t?
  private typealias Count = @convention(c) (sourcekitd_variant_t) -> Int
  private typealias Element = @convention(c) (sourcekitd_variant_t, Int) -> sourcekitd_variant_t

  private let uidFromString: UIDFromString
  private let uidToString: UIDToString
  private let dictionaryCreate: DictionaryCreate
  private let setUID: SetUID
  private let setString: SetString
  private let setInt: SetInt
  private let setValue: SetValue
  private let arrayCreate: ArrayCreate
  private let arrayAppendString: ArrayAppendString
  private let release: Release
  private let send: Send
  private let isError: IsError
  private let errorText: ErrorText
  private let responseValue: ResponseValue
  private let dispose: Dispose
  private let getValue: GetValue
  private let getString: GetString
  private let getInt: GetInt
  private let getUID: GetUID
  private let count: Count
  private let element: Element
  private var uids: [String: sourcekitd_uid_t] = [:]

  struct LoadError: Error, CustomStringConvertible { var description: String }

  /// Loads the library at `path` and initialises it.
  init(path: String) throws {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
      throw LoadError(description: "cannot load \(path): \(String(cString: dlerror()))")
    }
    func function<T>(_ name: String) throws -> T {
      guard let pointer = dlsym(handle, name) else { throw LoadError(description: "\(path) has no \(name)") }
      return unsafeBitCast(pointer, to: T.self)
    }
    uidFromString = try function("sourcekitd_uid_get_from_cstr")
    uidToString = try function("sourcekitd_uid_get_string_ptr")
    dictionaryCreate = try function("sourcekitd_request_dictionary_create")
    setUID = try function("sourcekitd_request_dictionary_set_uid")
    setString = try function("sourcekitd_request_dictionary_set_string")
    setInt = try function("sourcekitd_request_dictionary_set_int64")
    setValue = try function("sourcekitd_request_dictionary_set_value")
    arrayCreate = try function("sourcekitd_request_array_create")
    arrayAppendString = try function("sourcekitd_request_array_set_string")
    release = try function("sourcekitd_request_release")
    send = try function("sourcekitd_send_request_sync")
    isError = try function("sourcekitd_response_is_error")
    errorText = try function("sourcekitd_response_error_get_description")
    responseValue = try function("sourcekitd_response_get_value")
    dispose = try function("sourcekitd_response_dispose")
    getValue = try function("sourcekitd_variant_dictionary_get_value")
    getString = try function("sourcekitd_variant_dictionary_get_string")
    getInt = try function("sourcekitd_variant_dictionary_get_int64")
    getUID = try function("sourcekitd_variant_dictionary_get_uid")
    count = try function("sourcekitd_variant_array_get_count")
    element = try function("sourcekitd_variant_array_get_value")
    let initialize: @convention(c) () -> Void = try function("sourcekitd_initialize")
    initialize()
  }

  func uid(_ name: String) -> sourcekitd_uid_t {
    if let known = uids[name] { return known }
    let made = uidFromString(name)!
    uids[name] = made
    return made
  }

  /// A request value: what `send` turns into sourcekitd's request objects.
  indirect enum Value {
    case uid(String)
    case string(String)
    case int(Int64)
    case strings([String])
    case dictionary([(String, Value)])
  }

  private func object(_ entries: [(String, Value)]) -> sourcekitd_object_t {
    let dictionary = dictionaryCreate(nil, nil, 0)!
    for (key, value) in entries {
      switch value {
      case .uid(let name): setUID(dictionary, uid(key), uid(name))
      case .string(let text): setString(dictionary, uid(key), text)
      case .int(let number): setInt(dictionary, uid(key), number)
      case .strings(let texts):
        let array = arrayCreate(nil, 0)!
        for text in texts { arrayAppendString(array, -1, text) }
        setValue(dictionary, uid(key), array)
        release(array)
      case .dictionary(let inner):
        let nested = object(inner)
        setValue(dictionary, uid(key), nested)
        release(nested)
      }
    }
    return dictionary
  }

  /// Sends a request and reads its response with `body` (the response's values live only that long).
  func send<R>(_ entries: [(String, Value)], _ body: (Response) -> R) throws -> R {
    let request = object(entries)
    defer { release(request) }
    guard let response = send(request) else { throw LoadError(description: "sourcekitd gave no response") }
    defer { dispose(response) }
    if isError(response) {
      throw LoadError(description: errorText(response).map { String(cString: $0) } ?? "sourcekitd failed")
    }
    return body(Response(kit: self, value: responseValue(response)))
  }

  /// A dictionary or array inside a response.
  struct Response {
    let kit: SourceKitD
    let value: sourcekitd_variant_t

    func string(_ key: String) -> String? { kit.getString(value, kit.uid(key)).map { String(cString: $0) } }
    func int(_ key: String) -> Int64 { kit.getInt(value, kit.uid(key)) }
    func uid(_ key: String) -> String? {
      kit.getUID(value, kit.uid(key)).flatMap { kit.uidToString($0) }.map { String(cString: $0) }
    }
    func array(_ key: String) -> [Response] {
      let list = kit.getValue(value, kit.uid(key))
      return (0..<kit.count(list)).map { Response(kit: kit, value: kit.element(list, $0)) }
    }
    /// Whether the key's string value starts with `prefix`, read without copying the rest.
    func string(_ key: String, hasPrefix prefix: [UInt8]) -> Bool {
      guard let text = kit.getString(value, kit.uid(key)) else { return false }
      for (index, byte) in prefix.enumerated() where UInt8(bitPattern: text[index]) != byte { return false }
      return true
    }
  }
}
