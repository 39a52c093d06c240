import Testing

@testable import ClassificationRuntime

@Suite(.seededRandom(5)) struct ConcatenationTests {
  @Test(arguments: [0, 1, 2, 3, -1])
  func concatenatedGradients(_ axis: Int) {
    let a = random([2, 3, 2, 2]), b = random([2, 3, 2, 2])
    // Make b longer along the axis (the others match).
    var longer = a.shape
    longer[axis < 0 ? axis + 4 : axis] = 1
    let c = random(longer)
    checkGradients([a, b, c]) { Tensor.concatenated([$0[0], $0[1], $0[2]], alongAxis: axis) }
  }

  @Test func concatenatedValuesAlongChannels() {
    let a = Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 3, 4])
    let b = Tensor(shape: [2, 2, 1, 2], scalars: [5, 6, 7, 8, 9, 10, 11, 12])
    let c = Tensor.concatenated([a, b], alongAxis: 1)
    #expect(c.shape == [2, 3, 1, 2])
    #expect(c.scalars == [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])
  }

  @Test(arguments: [0, 1, 3])
  func slicedGradients(_ axis: Int) {
    let x = random([3, 4, 2, 5])
    checkGradients([x]) { $0[0].sliced(alongAxis: axis, 1..<2) }
    let s = x.sliced(alongAxis: axis, 0..<2)
    var shape = x.shape
    shape[axis] = 2
    #expect(s.shape == shape)
  }
}
