"""Cells behave as a Swift user expects across cells; errors are clear and leave state alone."""

import pytest

from kernel_helpers import collect_iopub, execute, ok, result_of, start, text_of, until_file, wait_reply


@pytest.fixture(scope="module")
def kc():
    km, kc = start()
    yield kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_state_and_declarations_carry_across_cells(kc):
    ok(kc, "var counter = 1\nlet name = \"swift\"")
    ok(kc, "counter += 41")
    assert result_of(ok(kc, "counter")) == "42"
    ok(kc, "func twice(_ x: Int) -> Int { 2 * x }\nstruct Point { var x: Int; var y: Int }")
    assert result_of(ok(kc, "Point(x: twice(counter), y: name.count)")) == "Point(x: 84, y: 5)"
    ok(kc, "enum Shape { case circle(Double), square(Double) }\nprotocol Named { var title: String { get } }")
    ok(kc, "extension Point: Named { var title: String { \"(\\(x), \\(y))\" } }")
    assert result_of(ok(kc, "Point(x: 1, y: 2).title")) == '"(1, 2)"'
    assert result_of(ok(kc, "Shape.circle(2)")) == "circle(2.0)"


def test_a_member_of_an_earlier_extension_is_found_beside_a_member_of_the_same_name(kc):
    # The cell's own `Box` has a `reading`, so the cell first compiles without the earlier cells that declare
    # one; `gauge.reading` is the extension's, which then fails and the cell compiles again with every cell.
    ok(kc, "struct Gauge { var raw = 40 }")
    ok(kc, "extension Gauge { var reading: Int { raw + 2 } }")
    ok(kc, "let gauge = Gauge()")
    reply = ok(kc, "struct Box { var reading = 0 }\nlet both = Box(reading: 1).reading + gauge.reading\nboth")
    assert result_of(reply) == "43"


def test_subclass_and_override_in_a_later_cell(kc):
    ok(kc, "class Animal { func sound() -> String { \"...\" } }")
    ok(kc, "class Dog: Animal { override func sound() -> String { \"woof\" } }")
    assert result_of(ok(kc, "let pets: [Animal] = [Animal(), Dog()]\npets.map { $0.sound() }")) == '["...", "woof"]'


def test_redefinition_wins_even_with_another_type(kc):
    ok(kc, "let value = 10")
    ok(kc, "let value = \"ten\"")
    assert result_of(ok(kc, "value + \"!\"")) == '"ten!"'
    ok(kc, "struct Thing { var a: Int }")
    ok(kc, "struct Thing { var b: String }")
    assert result_of(ok(kc, "Thing(b: \"new\").b")) == '"new"'
    ok(kc, "func greet() -> String { \"old\" }")
    ok(kc, "func greet() -> String { \"new\" }")
    assert result_of(ok(kc, "greet()")) == '"new"'


def test_statements_run_in_the_order_written(kc):
    outputs = ok(kc, 'print("one")\nlet middle = { print("two"); return 2 }()\nprint("three", middle)')
    assert text_of(outputs) == "one\ntwo\nthree 2\n"


def test_void_shows_nothing_and_uncaught_throw_is_an_error(kc):
    outputs = ok(kc, "print(\"x\")")
    assert not [o for o in outputs if o[0] == "execute_result"]
    reply, outputs = execute(kc, "struct Oops: Error, CustomStringConvertible { var description: String { \"it broke\" } }\nthrow Oops()")
    assert reply["status"] == "error"
    errors = [c for t, c in outputs if t == "error"]
    assert len(errors) == 1 and errors[0]["ename"] == "Oops" and errors[0]["evalue"] == "it broke"


def test_throwing_initialiser_keeps_its_value_and_reports_a_throw(kc):
    ok(kc, "import Foundation\nenum Parse: Error { case bad }\nfunc parse(_ s: String) throws -> Int { guard let n = Int(s) else { throw Parse.bad }; return n }")
    ok(kc, "let parsed = try parse(\"12\")")
    assert result_of(ok(kc, "parsed * 2")) == "24"
    reply, outputs = execute(kc, "print(\"before\")\nlet broken = try parse(\"x\")\nprint(\"after\")")
    assert reply["status"] == "error" and reply["ename"] == "Parse"
    assert text_of(outputs) == "before\n"


def test_compile_error_names_the_cell_line_and_leaves_state(kc):
    ok(kc, "var kept = 7")
    reply, outputs = execute(kc, "kept = 8\nlet z: Int = \"text\"")
    assert reply["status"] == "error" and reply["ename"] == "CompileError"
    kinds = [t for t, _ in outputs]
    assert kinds == ["execute_input", "error"], kinds  # no stray stderr
    traceback = "\n".join(outputs[-1][1]["traceback"])
    count = reply["execution_count"]
    assert f"<Cell {count}>:2:14: error: cannot convert value of type 'String' to specified type 'Int'" in traceback
    assert "__cellStatements" not in traceback and "__runCell" not in traceback and "swift_kernel" not in traceback and "#sourceLocation" not in traceback
    assert result_of(ok(kc, "kept")) == "7"  # the failed cell's first line never ran


def test_compile_error_column_of_a_trailing_expression(kc):
    reply, outputs = execute(kc, "let n = 1\nn + missingName")
    assert reply["status"] == "error"
    assert f"<Cell {reply['execution_count']}>:2:5: error: cannot find 'missingName' in scope" in outputs[-1][1]["traceback"][0]


def test_execution_count_silent_and_store_history(kc):
    reply, _ = execute(kc, "1")
    count = reply["execution_count"]
    reply, outputs = execute(kc, 'print("quiet")', silent=True)
    assert reply["status"] == "ok" and outputs == []
    reply, outputs = execute(kc, "2", store_history=False)
    assert reply["execution_count"] == count
    assert result_of(outputs) == "2"
    reply, _ = execute(kc, "3")
    assert reply["execution_count"] == count + 1


def test_user_expressions(kc):
    reply, _ = execute(kc, "let base = 21", user_expressions={"double": "base * 2", "bad": "nosuchname"})
    expressions = reply["user_expressions"]
    assert expressions["double"] == {"status": "ok", "data": {"text/plain": "42"}, "metadata": {}}
    assert expressions["bad"]["status"] == "error" and expressions["bad"]["ename"] == "CompileError"


def test_stop_on_error_aborts_queued_executions(kc):
    first = kc.execute("let willFail: Int = \"no\"")
    second = kc.execute("print(\"should not run\")")
    replies = {}
    while len(replies) < 2:
        msg = kc.get_shell_msg(timeout=60)
        replies[msg["parent_header"]["msg_id"]] = msg["content"]
    assert replies[first]["status"] == "error"
    assert replies[second] == {"status": "aborted"}


def test_a_cell_sent_as_soon_as_an_error_is_answered_runs(kc):
    # stop_on_error aborts what was queued before the error was answered, never what the client sent after
    # seeing the answer (the kernel used to answer first and then drain, racing with a quick client).
    for attempt in range(20):
        failing = kc.execute("let willFail: Int = \"no\"")
        assert wait_reply(kc, failing, timeout=60)["content"]["status"] == "error"
        reply, outputs = execute(kc, f"{attempt} + 1")
        assert reply["status"] == "ok", reply
        assert result_of(outputs) == str(attempt + 1)


def test_completion_offers_earlier_declarations_and_runtime_names(kc):
    ok(kc, "let learningRateSchedule = [0.1, 0.01]\nfunc learnSomething() {}")
    msg_id = kc.complete("learn", 5)
    reply = kc.get_shell_msg(timeout=10)
    assert reply["parent_header"]["msg_id"] == msg_id
    content = reply["content"]
    # SourceKit offers a function without arguments as a whole call.
    assert {"learningRateSchedule", "learnSomething()"} <= set(content["matches"])
    assert (content["cursor_start"], content["cursor_end"]) == (0, 5)
    # Cursor positions count code points, not UTF-16 units or bytes.
    code = 'let é = "🎉"; disp'
    kc.complete(code, len(code))
    content = kc.get_shell_msg(timeout=10)["content"]
    assert content["cursor_start"] == len(code) - 4 and "display(" in content["matches"]


def test_the_runtime_does_not_make_cells_load_foundation():
    # Every cell imports the runtime; a public `import Foundation` in it would make every cell's compile
    # load Foundation and ten more modules (about 10 ms each time), and Foundation's members of String
    # would then be found without an import. The runtime imports it `internal` and is built with library
    # evolution (without it, a client still loads a module's internal imports).
    km, kc = start()
    try:
        reply, _ = execute(kc, 'let parts = "a,b".components(separatedBy: ",")')
        assert reply["status"] == "error" and "components" in reply["evalue"], reply
        reply, _ = execute(kc, 'import Foundation\nlet parts = "a,b".components(separatedBy: ",")\nparts.count')
        assert reply["status"] == "ok", reply
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_the_runtime_does_not_make_cells_load_glibc(tmp_path):
    # A plain `import Glibc` in one runtime file made every cell's compile load glibc's Clang module (about
    # 4 ms a cell) for names a cell cannot see anyway: the runtime imports it `internal`.
    import os, shutil, subprocess
    from conftest import BINARY
    swiftc = shutil.which("swiftc")
    frontend = shutil.which("swift-frontend") or os.path.join(os.path.dirname(os.path.realpath(swiftc)), "swift-frontend")
    modules = os.path.join(os.path.dirname(os.path.realpath(BINARY)), "Modules")

    def loaded(source):
        (tmp_path / "cell.swift").write_text(source)
        remarks = subprocess.run(
            [frontend, "-frontend", "-typecheck", "-parse-as-library", "-swift-version", "5", "-Rmodule-loading",
             "-module-cache-path", str(tmp_path / "cache"), "-I", modules, str(tmp_path / "cell.swift")],
            capture_output=True, text=True, check=True).stderr
        return {line.split("loaded module '")[1].split("'")[0] for line in remarks.splitlines() if "loaded module '" in line}

    cell = loaded("import ClassificationRuntime\n")
    assert "ClassificationRuntime" in cell and "SwiftGlibc" not in cell and "Glibc" not in cell, cell
    assert "SwiftGlibc" in loaded("import ClassificationRuntime\nimport Glibc\n")


def test_completion_knows_types_through_sourcekit(kc):
    ok(kc, "struct Sample { var width: Int; func area() -> Int { width * width } }\nlet sample = Sample(width: 3)")
    content = kc.complete("sample.", 7, reply=True, timeout=60)["content"]
    assert set(content["matches"]) >= {"width", "area()"}
    # Only the members of Sample: no names of other types in scope.
    assert not {"trainDataloader()", "transposed()"} & set(content["matches"])
    kinds = {m["text"]: (m["type"], m["signature"]) for m in content["metadata"]["_jupyter_types_experimental"]}
    assert kinds["width"] == ("property", "Int") and kinds["area()"] == ("function", "() -> Int")
    # A class of the runtime, and a literal.
    ok(kc, "let regression = SoftmaxRegression(numOutputs: 10, lr: 0.1)")
    content = kc.complete("regression.tra", 14, reply=True, timeout=60)["content"]
    # Only its members: no `transposed()` of Tensor, no `trainDataloader()` of a data module.
    # A method with an unlabelled argument is offered up to its parenthesis, the argument kept in its signature.
    assert set(content["matches"]) == {"trainer", "training", "trainingStep("}
    kinds = {m["text"]: m["signature"] for m in content["metadata"]["_jupyter_types_experimental"]}
    assert kinds["trainingStep("].startswith("(_ batch: ")
    content = kc.complete('"abc".upp', 9, reply=True, timeout=60)["content"]
    # `uppercased(with:)` too once a cell of this session has imported Foundation.
    assert content["matches"][0] == "uppercased()" and content["cursor_start"] == 6
    assert all(m.startswith("uppercased(") for m in content["matches"])


def test_completion_offers_names_a_user_can_type_on(kc):
    # ipykernel's way: the match is a name, its signatures (all the initialisers') are in the metadata.
    content = kc.complete("let fashion = FashionMN", 23, reply=True, timeout=60)["content"]
    assert content["matches"] == ["FashionMNIST"]
    (entry,) = content["metadata"]["_jupyter_types_experimental"]
    signatures = entry["signature"].split("\n")
    assert entry["text"] == "FashionMNIST" and entry["type"] == "class"
    assert "(batchSize: Int, resize: (Int, Int))" in signatures and any("directory: String?" in s for s in signatures)
    # No placeholders and no `self` after a dot; each match, inserted and typed on, compiles.
    ok(kc, "struct Counter { var count = 0; func doubled() -> Int { count * 2 }; func add(_ n: Int) -> Int { count + n } }")
    ok(kc, "let counter = Counter()")
    for code, typed_on in [
        ("let fashion = FashionMN", {"FashionMNIST": ".self"}),
        ("let c = counter.", {"add(": "1)"}),
        ('let s = "abc".upp', {}),
    ]:
        content = kc.complete(code, len(code), reply=True, timeout=60)["content"]
        assert content["matches"] and "self" not in content["matches"], content["matches"]
        for match in content["matches"]:
            assert ": )" not in match and ", )" not in match and "(, " not in match, match
            if match.endswith("(") and match not in typed_on:
                continue  # typed on with arguments only the cases above know
            cell = code[: content["cursor_start"]] + match + typed_on.get(match, "")
            reply, outputs = execute(kc, cell)
            assert reply["status"] == "ok", (cell, reply, outputs)


def _sourcekit_servers(km):
    import psutil
    kernel = psutil.Process(km.provisioner.process.pid)
    servers = []
    for child in kernel.children():
        try:
            if "sourcekit" in child.cmdline():
                servers.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            pass  # a compiler or linker child that just ended, not yet reaped
    return servers


def test_sourcekit_is_started_after_a_persons_first_cell_but_not_for_headless_runs():
    # JupyterLab gives up on a completion after 1 s: SourceKit loads the modules before the first Tab.
    km, kc = start()
    try:
        # The server is started (or not) before the cell's reply is sent, so the reply is the moment to look.
        ok(kc, "let warm = 1", allow_stdin=False)  # as nbclient and papermill send cells
        assert _sourcekit_servers(km) == []
        ok(kc, "let person = 2")  # jupyter_client, JupyterLab and the console allow input
        assert _sourcekit_servers(km)
        content = kc.complete("per", 3, reply=True, timeout=60)["content"]
        assert "person" in content["matches"] and "_jupyter_types_experimental" in content["metadata"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_completion_falls_back_to_known_names_without_sourcekit():
    import os
    km, kc = start(env={**os.environ, "SWIFT_KERNEL_SOURCEKIT": "/nonexistent/libsourcekitdInProc.so"})
    try:
        ok(kc, "let fallbackValue = 1\nfunc fallbackFunction() {}")
        content = kc.complete("fallback", 8, reply=True, timeout=60)["content"]
        # The kernel's own names, bare (SourceKit would offer the function as a call).
        assert {"fallbackValue", "fallbackFunction"} <= set(content["matches"])
        assert "_jupyter_types_experimental" not in content["metadata"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_inspect_shows_declaration_and_doc_comment(kc):
    ok(kc, "/// Scales a value by the golden ratio.\nfunc golden(_ x: Double) -> Double { x * 1.618 }")
    kc.inspect("golden(2)", 3)
    content = kc.get_shell_msg(timeout=10)["content"]
    assert content["found"]
    assert "func golden(_ x: Double) -> Double" in content["data"]["text/plain"]
    assert "Scales a value by the golden ratio." in content["data"]["text/plain"]
    kc.inspect("display", 7)
    content = kc.get_shell_msg(timeout=10)["content"]
    assert content["found"] and "DisplayHandle" in content["data"]["text/plain"]
    kc.inspect("noSuchThingAnywhere", 5)
    assert kc.get_shell_msg(timeout=10)["content"]["found"] is False


def test_text_without_a_newline_streams_while_the_cell_runs(kc, tmp_path):
    # The cell waits (at most 30 s) for a file the test makes only once the text has arrived: text held
    # back until the cell ends would come after the wait, with " gave up" behind it.
    go = tmp_path / "go"
    msg_id = kc.execute(until_file(go, 'print("step 1...", terminator: "")', " done"))
    first = None
    while first is None:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            first = msg["content"]["text"]
    go.touch()
    assert first == "step 1..."
    assert text_of(collect_iopub(kc, msg_id)) == " done\n"
    assert wait_reply(kc, msg_id)["content"]["status"] == "ok"


def test_unknown_comm_open_is_closed(kc):
    msg = kc.session.msg("comm_open", {"comm_id": "c-1", "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(msg)
    closed = None
    while closed is None:
        m = kc.get_iopub_msg(timeout=10)
        if m["msg_type"] == "comm_close":
            closed = m
    assert closed["content"]["comm_id"] == "c-1"
    kc.comm_info()
    reply = kc.get_shell_msg(timeout=10)
    assert reply["content"] == {"status": "ok", "comms": {}}


def test_user_expressions_take_one_compile_together():
    import glob
    import os
    km, kc = start()
    try:
        _user_expressions_take_one_compile(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _user_expressions_take_one_compile(km, kc):
    import glob
    import os
    work = glob.glob(f"/tmp/swift-kernel-{km.provisioner.process.pid}-*")
    assert len(work) == 1
    execute(kc, "let base = 40\nfunc twice(_ x: Int) -> Int { 2 * x }")
    sources = lambda: len(glob.glob(os.path.join(work[0], "Cell_*.swift")))
    before = sources()
    reply, _ = execute(kc, "let extra = 2", user_expressions={
        "sum": "base + extra", "doubled": "twice(base)", "text": '"a" + "b"', "void": 'print("side")'})
    assert reply["status"] == "ok"
    values = {key: value["data"]["text/plain"] for key, value in reply["user_expressions"].items()}
    assert values == {"sum": "42", "doubled": "80", "text": '"ab"', "void": "()"}
    assert sources() - before == 2, "the cell, then one compile for all four expressions"
    # One that does not compile gets its own error; the others still have their values.
    reply, _ = execute(kc, "1", user_expressions={"good": "base", "bad": "base +"})
    assert reply["user_expressions"]["good"]["data"]["text/plain"] == "40"
    assert reply["user_expressions"]["bad"]["status"] == "error"
    assert reply["user_expressions"]["bad"]["ename"] == "CompileError"
