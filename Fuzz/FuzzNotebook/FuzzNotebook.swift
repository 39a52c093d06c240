import Foundation
import FuzzSupport
import JupyterProtocol
import NotebookRunner

// A notebook `swift-kernel run` reads: an error naming the file, or a notebook whose cells, sources and tags
// read, that takes injected parameters, and whose written text reads back as the same notebook.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNotebook(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let data = bytes(start, count)
  let notebook: Notebook
  do { notebook = try Notebook(data: data, path: "fuzz.ipynb") } catch {
    expect("\(error)".contains("fuzz.ipynb"), "the error names the file: \(error)")
    return 0
  }
  let cells = notebook.cells
  for cell in cells {
    _ = Notebook.source(of: cell)
    _ = Notebook.tags(of: cell)
  }
  var injected = notebook
  injected.inject(parameters: [(name: "epochs", value: "3"), (name: "name", value: "a \"b\"\n")])
  let tagged = injected.cells.filter { Notebook.tags(of: $0).contains("injected-parameters") }
  expect(tagged.count == 1, "one injected cell, found \(tagged.count)")
  let text = Data((notebook.json.pretty(indent: 1) + "\n").utf8)
  let again: Notebook
  do { again = try Notebook(data: text, path: "again.ipynb") } catch {
    fatalError("property failed: a notebook's own text does not read back: \(error)")
  }
  expect(again.json == notebook.json, "the notebook changed when written and read back")
  return 0
}

@_cdecl("FuzzNotebook_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
  runFuzzer(argc, argv, fuzzNotebook)
}
