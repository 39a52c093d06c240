internal import Foundation

/// How to fill a weight, given its fan-in and fan-out: `.xavierUniform`, `.normal(std:)`, `.zeros`.
public struct Initializer {
  let fill: (_ count: Int, _ fanIn: Int, _ fanOut: Int) -> [Float]

  public init(_ fill: @escaping (_ count: Int, _ fanIn: Int, _ fanOut: Int) -> [Float]) { self.fill = fill }

  /// U(−a, a) with a = √(6 / (fanIn + fanOut)) (Glorot and Bengio).
  public static let xavierUniform = Initializer { count, fanIn, fanOut in
    let a = (6 / Float(fanIn + fanOut)).squareRoot()
    return Random.uniform(count: count, lower: -a, upper: a)
  }

  public static func normal(mean: Float = 0, std: Float) -> Initializer {
    Initializer { count, _, _ in Random.normal(count: count, mean: mean, std: std) }
  }

  public static let zeros = Initializer { count, _, _ in [Float](repeating: 0, count: count) }

  /// Refills a weight in place (`[in, out]` for Linear, `[out, in, kh, kw]` for Conv2d).
  func apply(to weight: Tensor, fanIn: Int, fanOut: Int) {
    weight.scalars = fill(weight.count, fanIn, fanOut)
  }
}

/// The same initialisers as free names, as the book writes them.
public let xavierUniform = Initializer.xavierUniform
public let zeros = Initializer.zeros
public func normal(std: Float) -> Initializer { .normal(std: std) }
