/// Why a safetensors file could not be read, written or loaded into a model; the model is unchanged.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
  public enum Reason: Equatable, Sendable {
    /// The file could not be opened, read or written (the system's message).
    case io(String)
    /// The file ends before the header or a tensor's data does.
    case truncated(needs: Int, has: Int)
    /// The header is not the JSON object the format describes.
    case badHeader(String)
    /// A tensor's bytes lie past the end of the data.
    case offsetsPastEnd(begin: Int, end: Int, dataSize: Int)
    /// Two tensors share bytes.
    case overlapping(with: String)
    /// The offsets hold a different number of bytes than the dtype and shape need.
    case wrongByteCount(shape: [Int], dtype: String, bytes: Int)
    /// A dtype this runtime does not read (it reads F32, F16, BF16 and I64).
    case unsupportedDType(String)
    /// The model has the tensor and the file does not.
    case missingTensor(modelShape: [Int?])
    /// The file has a tensor the model does not.
    case unexpectedTensor(fileShape: [Int])
    /// The shapes differ (`nil`: a size a lazy layer takes from the file).
    case shapeMismatch(fileShape: [Int], modelShape: [Int?])
    /// An integer tensor where the model has floats, or the other way round.
    case dtypeMismatch(fileDType: String, modelDType: String)
    /// A lazy layer that has not seen a batch has no weights to save yet.
    case notMaterialized
    /// A checkpoint's own entries (epoch, history, generator, optimiser) are missing or do not fit.
    case badCheckpoint(String)
  }

  public let file: String
  /// The tensor concerned, when one is.
  public let tensor: String?
  public let reason: Reason

  public init(file: String, tensor: String? = nil, _ reason: Reason) {
    (self.file, self.tensor, self.reason) = (file, tensor, reason)
  }

  public var description: String {
    let name = tensor.map { "tensor '\($0)'" } ?? "the file"
    let what: String
    switch reason {
    case .io(let message): what = message
    case .truncated(let needs, let has):
      what = "the file is truncated: \(name) needs \(needs) bytes, the file has \(has)"
    case .badHeader(let message): what = "the header is not valid safetensors JSON: \(message)"
    case .offsetsPastEnd(let begin, let end, let size):
      what =
        "\(name) has data_offsets [\(begin), \(end)] past the end of the data (\(size) bytes): the file is truncated or its header wrong"
    case .overlapping(let other): what = "\(name) overlaps tensor '\(other)' in the data"
    case .wrongByteCount(let shape, let dtype, let bytes):
      what = "\(name) is \(dtype) of shape \(shape) but its data_offsets hold \(bytes) bytes"
    case .unsupportedDType(let dtype): what = "\(name) has dtype \(dtype); only F32, F16, BF16 and I64 are read"
    case .missingTensor(let shape): what = "\(name) (model shape \(Self.text(shape))) is missing from the file"
    case .unexpectedTensor(let shape): what = "\(name) (file shape \(shape)) is not in the model"
    case .shapeMismatch(let fileShape, let modelShape):
      what = "\(name) has shape \(fileShape) in the file but \(Self.text(modelShape)) in the model"
    case .dtypeMismatch(let fileDType, let modelDType):
      what = "\(name) is \(fileDType) in the file but \(modelDType) in the model"
    case .notMaterialized: what = "\(name) belongs to a lazy layer that has not seen a batch yet: run one first"
    case .badCheckpoint(let message): what = "not a usable checkpoint: \(message)"
    }
    return "\(file): \(what)"
  }

  /// A model's shape, with `?` for a size a lazy layer learns from the file.
  static func text(_ shape: [Int?]) -> String { "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]" }
}
