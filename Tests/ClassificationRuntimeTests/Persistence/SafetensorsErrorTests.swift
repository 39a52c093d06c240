import Foundation
import Testing

@testable import ClassificationRuntime

/// Each damaged or mismatched file is a thrown error that names the file, the tensor and the shapes,
/// and the model keeps its weights.
@Suite(.seededRandom(12)) struct SafetensorsErrorTests {
  /// A Linear(2 → 3) with known weights, and a good file of another Linear(2 → 3)'s weights.
  func fixture(_ dir: String) throws -> (layer: Linear, before: [[Float]], good: Data) {
    let layer = Linear(inputs: 2, outputs: 3)
    let other = Linear(inputs: 2, outputs: 3)
    try other.save(to: dir + "/good.safetensors")
    return (layer, [layer.weight.scalars, layer.bias.scalars], try Data(contentsOf: URL(fileURLWithPath: dir + "/good.safetensors")))
  }

  /// Writes `bytes`, loads them into `layer`, and returns the error's text (checking the layer is unchanged).
  func loadError(_ bytes: Data, into layer: Linear, before: [[Float]], dir: String) throws -> String {
    let path = dir + "/bad.safetensors"
    try bytes.write(to: URL(fileURLWithPath: path))
    var text = ""
    #expect {
      try layer.load(from: path)
    } throws: { error in
      text = "\(error)"
      return error is SafetensorsError
    }
    #expect([layer.weight.scalars, layer.bias.scalars] == before)
    #expect(layer.weight.shape == [2, 3])
    #expect(text.hasPrefix(path + ": "))
    return text
  }

  let weight = #""weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]}"#
  let bias = #""bias":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}"#
  let data = floatBytes([1, 2, 3, 4, 5, 6, 7, 8, 9])

  @Test func aTruncatedFile() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, good) = try fixture(dir)
      let cut = try loadError(good.prefix(good.count - 5), into: layer, before: before, dir: dir)
      #expect(cut.contains("truncated") || cut.contains("past the end"))
      #expect(cut.contains("bias"))
      let tiny = try loadError(good.prefix(5), into: layer, before: before, dir: dir)
      #expect(tiny.contains("truncated: the file needs 8 bytes, the file has 5"))
      let headerCut = try loadError(good.prefix(20), into: layer, before: before, dir: dir)
      #expect(headerCut.contains("truncated"))
    }
  }

  @Test func aHeaderThatIsNotJSON() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, _) = try fixture(dir)
      let text = try loadError(safetensorsBytes("{weight: oops", data), into: layer, before: before, dir: dir)
      #expect(text.contains("not valid safetensors JSON") && text.contains("not JSON"))
      let array = try loadError(safetensorsBytes("[1, 2]", data), into: layer, before: before, dir: dir)
      #expect(array.contains("not a JSON object"))
    }
  }

  @Test func offsetsPastTheEndOrOverlapping() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, _) = try fixture(dir)
      let past = #""bias":{"dtype":"F32","shape":[3],"data_offsets":[36,48]}"#
      let text = try loadError(safetensorsBytes("{\(weight),\(past)}", data), into: layer, before: before, dir: dir)
      #expect(text.contains("tensor 'bias' has data_offsets [36, 48] past the end of the data (36 bytes)"))
      let overlapping = #""bias":{"dtype":"F32","shape":[3],"data_offsets":[20,32]}"#
      let overlap = try loadError(
        safetensorsBytes("{\(weight),\(overlapping)}", data), into: layer, before: before, dir: dir)
      #expect(overlap.contains("tensor 'bias' overlaps tensor 'weight'"))
      let short = #""bias":{"dtype":"F32","shape":[3],"data_offsets":[24,32]}"#
      let count = try loadError(safetensorsBytes("{\(weight),\(short)}", data), into: layer, before: before, dir: dir)
      #expect(count.contains("tensor 'bias' is F32 of shape [3] but its data_offsets hold 8 bytes"))
    }
  }

  @Test func anUnsupportedDType() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, _) = try fixture(dir)
      let doubles = #""bias":{"dtype":"F64","shape":[3],"data_offsets":[24,48]}"#
      let text = try loadError(
        safetensorsBytes("{\(weight),\(doubles)}", data + [UInt8](repeating: 0, count: 12)), into: layer,
        before: before, dir: dir)
      #expect(text.contains("tensor 'bias' has dtype F64; only F32, F16, BF16 and I64 are read"))
    }
  }

  @Test func aMissingOrExtraTensor() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, _) = try fixture(dir)
      let missing = try loadError(safetensorsBytes("{\(weight)}", floatBytes([1, 2, 3, 4, 5, 6])), into: layer, before: before, dir: dir)
      #expect(missing.contains("tensor 'bias' (model shape [3]) is missing from the file"))
      let extra = #""running_mean":{"dtype":"F32","shape":[2],"data_offsets":[36,44]}"#
      let text = try loadError(
        safetensorsBytes("{\(weight),\(bias),\(extra)}", data + floatBytes([0, 0])), into: layer, before: before,
        dir: dir)
      #expect(text.contains("tensor 'running_mean' (file shape [2]) is not in the model"))
    }
  }

  @Test func aShapeThatDoesNotFit() throws {
    try withTemporaryDirectory { dir in
      let (layer, before, _) = try fixture(dir)
      // Weight [3, 2] then bias [3]: a file of a Linear(3 → 2) does not fit.
      let wrong = #""weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}"#
      let text = try loadError(safetensorsBytes("{\(wrong),\(bias)}", data), into: layer, before: before, dir: dir)
      #expect(text.contains("tensor 'weight' has shape [2, 3] in the file but [3, 2] in the model"))
      // A lazy layer learns its input size, but not a different output size.
      let lazy = Linear(outputs: 3)
      let path = dir + "/wide.safetensors"
      try Linear(inputs: 5, outputs: 4).save(to: path)
      #expect {
        try lazy.load(from: path)
      } throws: { error in
        "\(error)".contains("tensor 'weight' has shape [4, 5] in the file but [3, ?] in the model")
      }
      #expect(!lazy.isMaterialized)
    }
  }

  @Test func aFileThatIsNotThere() throws {
    withTemporaryDirectory { dir in
      #expect {
        try Linear(inputs: 1, outputs: 1).load(from: dir + "/absent.safetensors")
      } throws: { error in
        "\(error)".contains("absent.safetensors: cannot open: No such file")
      }
    }
  }
}
