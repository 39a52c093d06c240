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

  @Test func wholeDoublesKeepADecimalPoint() {
    #expect(JSON.double(2).serialized == "2.0")
    #expect(JSON.double(.infinity).serialized == "null")
  }
}
