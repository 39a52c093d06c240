import Foundation
import Testing

@testable import JupyterProtocol

@Suite struct JSONTests {
  @Test func serialisesEscapesAndSortsKeys() {
    let value: JSON = ["b": [1, 2.5, true, nil], "a": "line\n\"quoted\"\t\u{1}/é"]
    #expect(value.serialized == #"{"a":"line\n\"quoted\"\t\u0001/é","b":[1,2.5,true,null]}"#)
  }

  @Test func roundTripsThroughTheParser() throws {
    let text = #"{"n": 3, "x": 1.5, "ok": false, "s": "\u00e9", "list": [{"k": null}], "big": 12345678901}"#
    let value = try JSON(parsing: text)
    #expect(value["n"] == .int(3) && value["x"] == .double(1.5) && value["ok"] == .bool(false))
    #expect(value["s"] == "é" && value["big"]?.int == 12_345_678_901)
    #expect(try JSON(parsing: value.serialized) == value)
    #expect(try JSON(parsing: value.pretty()) == value)
  }

  @Test func rejectsMalformedText() {
    #expect(throws: JSONParseError.self) { try JSON(parsing: "{\"a\": }") }
    #expect(throws: JSONParseError.self) { try JSON(parsing: Data([0xff, 0xfe])) }
  }

  /// Found by `scripts/fuzz.sh` (FuzzJSON): "1900719752990719925.5" read as `.double(1.90071975299072e+18)`,
  /// which is written "1.90071975299072e+18" and read back as `.int`: a value changed by a round trip.
  @Test func aWholeNumberIsAnIntHoweverItIsSpelled() throws {
    let double = try #require(Double("1900719752990719925.5"))
    let whole = try #require(Int(exactly: double))
    let value = try JSON(parsing: "[1900719752990719925.5, 3.0, 1e2, 1.5, 1e300, 19007197529907199254740992]")
    #expect(value == [.int(whole), 3, 100, 1.5, 1e300, 1.9007197529907199e25])
    for element in value.array ?? [] { #expect(try JSON(parsing: element.serialized) == element) }
  }

  @Test func wholeDoublesKeepADecimalPoint() {
    #expect(JSON.double(2).serialized == "2.0")
    #expect(JSON.double(.infinity).serialized == "null")
  }
}
