/// A value with a rich representation in the notebook: MIME type → text (SVG as XML, HTML, …).
public protocol NotebookDisplayable {
  var mimeBundle: [String: String] { get }
}
