import Testing

@testable import ClassificationRuntime

@Suite struct TensorFormatterTests {
  @Test func textShowsShapeAndElidesLargeTensors() {
    let small = Tensor([[1, 2.5], [3, 4]])
    // Columns are right-aligned to the widest value.
    #expect(small.description == "Tensor(shape: [2, 2], dtype: Float32)\n[\n [   1.0, 2.5000]\n [   3.0,    4.0]\n]")
    let large = Tensor(zeros: [100, 100])
    #expect(large.description.contains("...") && large.description.split(separator: "\n").count < 15)
  }
}
