"""The kernel against jupyter_kernel_test's protocol checks, with every sample attribute set."""
import unittest

import jupyter_kernel_test


class SwiftKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "swift"
    language_name = "swift"
    file_extension = ".swift"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'import Foundation\nFileHandle.standardError.write("oops\\n".data(using: .utf8)!)'
    # SourceKit's completions, as text to type on: a whole call without arguments, a call with arguments
    # up to its parenthesis; members of the value's type after a dot (here a literal's).
    completion_samples = [
        {"text": "clearOut", "matches": {"clearOutput()", "clearOutput("}},
        # (`uppercased(with:)` is Foundation's, which a cell sees only after `import Foundation`.)
        {"text": '"abc".upp', "matches": {"uppercased()"}},
    ]
    complete_code_samples = ["1 + 1", "let x = 1", "func f() -> Int {\n  return 1\n}", "print(\"a\")"]
    incomplete_code_samples = ["func f() {", "let a = [1, 2,", "print(", "struct P {\n  var x: Int"]
    invalid_code_samples = ["let = 5", "func 1x() {}", "1 +* 2 }"]
    code_generate_error = "let a: [Int] = []\nlet b: Int = \"not a number\""
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"swift".uppercased()', "result": '"SWIFT"'},
        {"code": "[1, 2, 3].map { $0 * 2 }", "result": "[2, 4, 6]"},
    ]
    code_display_data = [
        {"code": 'display(html: "<b>bold</b>")', "mime": "text/html"},
        {"code": 'display(svg: "<svg xmlns=\\"http://www.w3.org/2000/svg\\"/>")', "mime": "image/svg+xml"},
        {"code": 'display(markdown: "# title")', "mime": "text/markdown"},
    ]
    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "clearOutput"
    code_clear_output = 'print("before")\nclearOutput()'


if __name__ == "__main__":
    unittest.main()
