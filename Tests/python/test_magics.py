"""IPython-style magics as a notebook user meets them: %time, %timeit, %who, %reset, %opt, %env, %cd,
!command and %%bash, %%writefile and %include, %install, and the completion and inspection around them."""
import os
import re
import shutil
import tempfile
import time

import pytest

from kernel_helpers import collect_iopub, execute, ok, result_of, start, wait_for_output, wait_reply

UNIT = r"(?:s|ms|µs|ns)"
# Three significant digits, as Python's "%.3g" prints them (999.7 is "1e+03").
NUMBER = r"\d+(?:\.\d+)?(?:e[+-]\d+)?"
DURATION = rf"{NUMBER} {UNIT}"


@pytest.fixture(scope="module")
def kernel():
    km, kc = start()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kc(kernel):
    return kernel[1]


@pytest.fixture
def fresh():
    """A kernel of its own, for magics that change the whole session (%reset)."""
    km, kc = start()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def failed(kc, code, **kwargs):
    reply, outputs = execute(kc, code, **kwargs)
    assert reply["status"] == "error", (code, reply, outputs)
    errors = [c for t, c in outputs if t == "error"]
    assert len(errors) == 1, outputs
    return reply, outputs


def stream(outputs, name):
    return "".join(c["text"] for t, c in outputs if t == "stream" and c["name"] == name)


# MARK: Timing


def test_time_prints_cpu_and_wall_time_and_keeps_the_value(kc):
    outputs = ok(kc, "%time (1...1000).reduce(0, +)")
    printed = stream(outputs, "stdout")
    assert re.search(rf"^CPU times: user {DURATION}, sys: {DURATION}, total: {DURATION}$", printed, re.M), printed
    assert re.search(rf"^Wall time: {DURATION}$", printed, re.M), printed
    assert result_of(outputs) == "500500"


def test_cell_time_keeps_its_declarations(kc):
    outputs = ok(kc, "%%time\nlet timedValue = 6 * 7")
    assert "Wall time:" in stream(outputs, "stdout")
    assert result_of(ok(kc, "timedValue + 1")) == "43"


TIMEIT = rf"^{DURATION} ± {DURATION} per loop \(mean ± std\. dev\. of (\d+) runs?, ([\d,]+) loops? each\)$"


def test_timeit_line_chooses_the_loop_count(kc):
    outputs = ok(kc, "%timeit (1...100).map { $0 * 2 }.count")
    match = re.search(TIMEIT, stream(outputs, "stdout"), re.M)
    assert match, outputs
    assert match.group(1) == "7"  # IPython's default number of runs
    assert int(match.group(2).replace(",", "")) >= 1
    assert not [o for o in outputs if o[0] == "execute_result"]


def test_cell_timeit_with_loops_and_runs(kc):
    outputs = ok(kc, "%%timeit -n 5 -r 3\nvar total = 0\nfor i in 0..<1000 { total &+= i * i }")
    match = re.search(TIMEIT, stream(outputs, "stdout"), re.M)
    assert match, outputs
    assert match.group(0).endswith("(mean ± std. dev. of 3 runs, 5 loops each)")


# MARK: The namespace


def test_who_lists_variables_and_filters_by_type(kc):
    ok(kc, 'let whoCount = 3\nvar whoName = "swift"\nlet whoRatio = 0.5')
    names = stream(ok(kc, "%who"), "stdout").split()
    assert {"whoCount", "whoName", "whoRatio"} <= set(names)
    ints = stream(ok(kc, "%who Int"), "stdout").split()
    assert "whoCount" in ints and "whoName" not in ints and "whoRatio" not in ints


def test_whos_shows_a_table_as_text_and_html(kc):
    ok(kc, "let whosAnswer = 4242")
    outputs = ok(kc, "%whos")
    displays = [c["data"] for t, c in outputs if t == "display_data"]
    assert len(displays) == 1, outputs
    plain, html = displays[0]["text/plain"], displays[0]["text/html"]
    assert re.match(r"Variable\s+Type\s+Data/Info", plain), plain
    assert re.search(r"^whosAnswer\s+Int\s+4242$", plain, re.M), plain
    assert "<table>" in html
    assert "<td><code>whosAnswer</code></td><td><code>Int</code></td><td><code>4242</code></td>" in html


def test_reset_f_forgets_everything(fresh):
    _, kc = fresh
    ok(kc, "var x = 5\nfunc helper() -> Int { 1 }")
    assert stream(ok(kc, "%who"), "stdout").split() == ["x"]
    ok(kc, "%reset -f")
    reply, outputs = failed(kc, "x + 1")
    assert reply["ename"] == "CompileError"
    assert "cannot find 'x' in scope" in "\n".join(reply["traceback"]), reply
    assert stream(ok(kc, "%who"), "stdout") == "Interactive namespace is empty.\n"
    # The session goes on: new declarations work after the reset.
    ok(kc, "let y = 2")
    assert result_of(ok(kc, "y * 21")) == "42"


def test_reset_asks_first(fresh):
    _, kc = fresh
    ok(kc, "var kept = 1")
    # A request that cannot answer is told to use -f, and nothing is forgotten.
    reply, _ = failed(kc, "%reset", allow_stdin=False)
    assert reply["ename"] == "UsageError" and "-f" in reply["evalue"], reply
    assert result_of(ok(kc, "kept")) == "1"
    # Answering no keeps the variables.
    assert _reset_answering(kc, "n") == "ok"
    assert result_of(ok(kc, "kept")) == "1"
    # Answering yes resets.
    assert _reset_answering(kc, "y") == "ok"
    reply, _ = failed(kc, "kept")
    assert "cannot find 'kept' in scope" in "\n".join(reply["traceback"]), reply


def _reset_answering(kc, answer):
    msg_id = kc.execute("%reset", allow_stdin=True)
    request = kc.get_stdin_msg(timeout=30)
    assert request["msg_type"] == "input_request"
    assert request["parent_header"]["msg_id"] == msg_id
    assert "Proceed" in request["content"]["prompt"]
    kc.input(answer)
    reply = wait_reply(kc, msg_id)
    collect_iopub(kc, msg_id)
    return reply["content"]["status"]


# MARK: Compiler options and the process's surroundings


def test_opt_changes_the_optimisation_of_later_cells(kc):
    assert result_of(ok(kc, "_isDebugAssertConfiguration()")) == "true"
    try:
        ok(kc, "%opt -O")
        # The cell really is compiled optimised: debug assertions are off in it.
        assert result_of(ok(kc, "_isDebugAssertConfiguration()")) == "false"
        assert result_of(ok(kc, "let optimised = (1...10).reduce(0, +)\noptimised")) == "55"
        assert re.search(r"-O(?![A-Za-z])", stream(ok(kc, "%opt"), "stdout"))
    finally:
        ok(kc, "%opt -Onone")
    assert "-Onone" in stream(ok(kc, "%opt"), "stdout")
    assert result_of(ok(kc, "_isDebugAssertConfiguration()")) == "true"
    reply, _ = failed(kc, "%opt -O3")
    assert reply["ename"] == "UsageError"


def test_env_reaches_the_kernel_the_executor_and_the_shell(kc):
    ok(kc, "%env SWIFT_KERNEL_MAGIC_TEST=magic value")
    assert result_of(ok(kc, "%env SWIFT_KERNEL_MAGIC_TEST")) == '"magic value"'
    code = 'import Foundation\nProcessInfo.processInfo.environment["SWIFT_KERNEL_MAGIC_TEST"]!'
    assert result_of(ok(kc, code)) == '"magic value"'
    assert stream(ok(kc, "!echo $SWIFT_KERNEL_MAGIC_TEST"), "stdout") == "magic value\n"
    reply, _ = failed(kc, "%env SWIFT_KERNEL_NO_SUCH_VARIABLE")
    assert reply["ename"] == "UsageError"


def test_env_lists_variables_and_hides_secrets(kc):
    ok(kc, "%env SWIFT_KERNEL_MAGIC_PLAIN=shown")
    ok(kc, "%env SWIFT_KERNEL_MAGIC_TOKEN=hunter2")
    listing = stream(ok(kc, "%env"), "stdout")
    assert "SWIFT_KERNEL_MAGIC_PLAIN=shown" in listing.splitlines()
    assert "SWIFT_KERNEL_MAGIC_TOKEN=<hidden>" in listing.splitlines()
    assert "hunter2" not in listing


def test_cd_and_pwd(kc):
    original = eval_string(result_of(ok(kc, "%pwd")))
    target = os.path.realpath(tempfile.mkdtemp(prefix="swift-kernel-cd-"))
    try:
        ok(kc, f"%cd {target}")
        assert eval_string(result_of(ok(kc, "%pwd"))) == target
        code = "import Foundation\nFileManager.default.currentDirectoryPath"
        assert eval_string(result_of(ok(kc, code))) == target
        assert stream(ok(kc, "!pwd"), "stdout") == target + "\n"
    finally:
        ok(kc, f"%cd {original}")
        shutil.rmtree(target, ignore_errors=True)
    assert eval_string(result_of(ok(kc, "%pwd"))) == original
    reply, _ = failed(kc, "%cd /no/such/directory/anywhere")
    assert reply["ename"] == "UsageError"


def eval_string(swift_literal):
    """A Swift string literal as the kernel shows it ("…") back to its text."""
    assert swift_literal.startswith('"') and swift_literal.endswith('"'), swift_literal
    return swift_literal[1:-1].replace('\\"', '"').replace("\\\\", "\\")


# MARK: Shell commands


def test_shell_command_output(kc):
    outputs = ok(kc, "!echo hello")
    assert stream(outputs, "stdout") == "hello\n"


def test_failing_shell_command_prints_its_status_and_the_cell_is_ok(kc):
    outputs = ok(kc, "!echo to-stderr >&2; exit 3")
    errors = stream(outputs, "stderr")
    assert "to-stderr" in errors and "exit status 3" in errors, outputs
    assert "exit status" not in stream(outputs, "stdout")


def test_shell_lines_between_swift_lines_run_in_order(kc):
    outputs = ok(kc, 'print("first")\n!echo second\nprint("third")\nlet afterShell = 3')
    assert stream(outputs, "stdout") == "first\nsecond\nthird\n"
    assert result_of(ok(kc, "afterShell")) == "3"


def test_bash_cell_streams_as_it_runs(kc, tmp_path):
    # The command waits (at most 30 s) for a file the test makes only once the first line has arrived:
    # output held back until the command ends would come after the wait, with "gave up" in it.
    go = tmp_path / "go"
    msg_id = kc.execute(
        f"%%bash\necho one\nfor i in $(seq 600); do [ -e {go} ] && break; sleep 0.05; done\n"
        f"[ -e {go} ] && echo two || echo gave up")
    texts = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
            go.touch()
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert wait_reply(kc, msg_id)["content"]["status"] == "ok"
    assert texts[0] == "one\n" and "".join(texts) == "one\ntwo\n", texts


def test_much_stderr_after_some_stdout_does_not_hang(kernel):
    # Both pipes are drained as the command writes: 200 kB on stderr is more than a pipe holds.
    km, kc = kernel
    msg_id = kc.execute("!echo start; head -c 200000 /dev/zero | tr '\\0' e >&2; echo end")
    started = time.time()
    try:
        reply = wait_reply(kc, msg_id, timeout=30)["content"]
    except Exception:
        km.interrupt_kernel()  # leave the shared kernel usable for the tests after this one
        wait_reply(kc, msg_id, timeout=30)
        collect_iopub(kc, msg_id)
        pytest.fail(f"the command did not finish in {time.time() - started:.0f} s")
    outputs = collect_iopub(kc, msg_id)
    assert reply["status"] == "ok"
    assert stream(outputs, "stdout") == "start\nend\n"
    assert stream(outputs, "stderr").count("e") == 200000


def test_interrupt_stops_a_shell_command(kernel):
    km, kc = kernel
    ok(kc, "let beforeSleep = 11")
    msg_id = kc.execute("!echo started; sleep 30")
    wait_for_output(kc, msg_id)
    km.interrupt_kernel()
    # Not interrupted, the command would end after 30 s with status ok.
    reply = wait_reply(kc, msg_id, timeout=60)["content"]
    assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    collect_iopub(kc, msg_id)
    assert result_of(ok(kc, "beforeSleep + 1")) == "12"


def test_a_command_that_ignores_interrupts_is_killed_after_the_grace(kernel):
    km, kc = kernel
    msg_id = kc.execute("!trap '' INT; echo started; sleep 20; echo finished")
    wait_for_output(kc, msg_id)
    km.interrupt_kernel()
    # Not killed, the command would print "finished" after 20 s.
    reply = wait_reply(kc, msg_id, timeout=60)["content"]
    outputs = collect_iopub(kc, msg_id)
    assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    assert "finished" not in stream(outputs, "stdout")
    assert result_of(ok(kc, "1 + 1")) == "2"


# MARK: Listing and unknown magics


def test_lsmagic(kc):
    printed = stream(ok(kc, "%lsmagic"), "stdout")
    assert "%timeit" in printed and "%%time" in printed and "%whos" in printed


def test_unknown_line_magic_is_a_usage_error_listing_the_known_ones(kc):
    reply, outputs = failed(kc, "%nosuchmagic")
    assert reply["ename"] == "UsageError"
    assert "nosuchmagic" in reply["evalue"] and "%timeit" in reply["evalue"]
    assert [c for t, c in outputs if t == "error"][0]["ename"] == "UsageError"


def test_unknown_cell_magic_is_a_usage_error(kc):
    reply, _ = failed(kc, "%%nosuch\nlet x = 1")
    assert reply["ename"] == "UsageError"
    assert "nosuch" in reply["evalue"] and "%timeit" in reply["evalue"]


def test_a_cell_with_an_unknown_magic_runs_none_of_its_lines(kc):
    reply, outputs = failed(kc, 'print("must not run")\n%nosuchmagic')
    assert reply["ename"] == "UsageError"
    assert "must not run" not in stream(outputs, "stdout")


# MARK: Files


def test_writefile_then_include(kc):
    folder = tempfile.mkdtemp(prefix="swift-kernel-include-")
    path = os.path.join(folder, "helpers.swift")
    try:
        outputs = ok(kc, f"%%writefile {path}\nfunc includedTriple(_ x: Int) -> Int {{ x * 3 }}\nlet includedBase = 5")
        assert path in stream(outputs, "stdout")
        with open(path) as f:
            assert "func includedTriple" in f.read()
        ok(kc, f"%include {path}")
        assert result_of(ok(kc, "includedTriple(includedBase)")) == "15"
        # -a appends.
        ok(kc, f"%%writefile -a {path}\nlet appended = 1")
        with open(path) as f:
            text = f.read()
        assert "func includedTriple" in text and "let appended = 1" in text
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_include_of_a_missing_file_is_a_usage_error(kc):
    reply, _ = failed(kc, "%include /no/such/file.swift")
    assert reply["ename"] == "UsageError" and "/no/such/file.swift" in reply["evalue"]


# MARK: Completion and inspection


def test_completion_of_magic_names(kc):
    content = kc.complete("%ti", 3, reply=True, timeout=30)["content"]
    assert {"time", "timeit"} <= set(content["matches"])
    assert (content["cursor_start"], content["cursor_end"]) == (1, 3)
    content = kc.complete("%%wr", 4, reply=True, timeout=30)["content"]
    assert "writefile" in content["matches"]


def test_inspect_a_variable_shows_its_type_and_value(kc):
    ok(kc, "let answer = 42")
    content = kc.inspect("answer", 3, 0, reply=True, timeout=30)["content"]
    assert content["status"] == "ok" and content["found"], content
    text = content["data"]["text/plain"]
    assert "Type: Int" in text and "Value: 42" in text, text


def test_inspect_detail_level_1_shows_the_source(kc):
    ok(kc, "func twice(_ x: Int) -> Int { x * 2 }")
    content = kc.inspect("twice", 5, 1, reply=True, timeout=30)["content"]
    assert content["found"], content
    assert "x * 2" in content["data"]["text/plain"], content
    content = kc.inspect("twice", 5, 0, reply=True, timeout=30)["content"]
    assert content["found"] and "x * 2" not in content["data"]["text/plain"], content


# MARK: %install


@pytest.fixture(scope="module")
def package_cache():
    """XDG_CACHE_HOME of the %install kernels: their builds are cached here, for each other."""
    folder = tempfile.mkdtemp(prefix="swift-kernel-install-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def install_kernel(cache):
    return start(env={**os.environ, "XDG_CACHE_HOME": cache})


SHORT = "%install 'apple/swift-algorithms 1.2.1' Algorithms"
# Seconds the first %install took, for the cached one to compare with.
LONG = "%install '.package(url: \"https://github.com/apple/swift-algorithms\", from: \"1.2.1\")' Algorithms"
USE = "import Algorithms\nArray([1, 2, 3].combinations(ofCount: 2))"


def test_install_builds_a_package_and_keeps_the_session(package_cache):
    km, kc = install_kernel(package_cache)
    try:
        ok(kc, "var before = 41\nfunc beforeHelper() -> Int { 1 }")
        outputs = ok(kc, SHORT, timeout=600)
        printed = stream(outputs, "stdout")
        assert "Installed Algorithms" in printed, outputs
        assert "Using the build" not in printed
        assert result_of(ok(kc, USE)) == "[[1, 2], [1, 3], [2, 3]]"
        assert result_of(ok(kc, "before + beforeHelper()")) == "42"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_second_kernel_uses_the_cached_build(package_cache):
    km, kc = install_kernel(package_cache)
    try:
        outputs = ok(kc, SHORT, timeout=600)
        # Built already: the kernel says so and builds nothing ("Building" is the first kernel's line).
        printed = stream(outputs, "stdout")
        assert "Using the build" in printed and "Building" not in printed, outputs
        assert result_of(ok(kc, USE)) == "[[1, 2], [1, 3], [2, 3]]"
        # The long form of the same dependency is the same build.
        outputs = ok(kc, LONG, timeout=600)
        assert "Using the build" in stream(outputs, "stdout"), outputs
        assert result_of(ok(kc, "import Algorithms\nArray([1, 1, 2, 3, 3].uniqued())")) == "[1, 2, 3]"
        # %reset forgets the session, not the packages.
        ok(kc, "%reset -f")
        assert result_of(ok(kc, "import Algorithms\n[1, 2, 3, 4].chunks(ofCount: 2).map(Array.init)")) == "[[1, 2], [3, 4]]"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_install_of_a_package_the_mirror_lacks(package_cache):
    km, kc = install_kernel(package_cache)
    try:
        ok(kc, "let keptThroughFailure = 7")
        reply, _ = failed(kc, "%install 'ReactiveX/RxSwift 6.0.0' RxSwift", timeout=600)
        assert reply["ename"] == "InstallError", reply
        assert "local package mirror" in reply["evalue"], reply
        reply, _ = failed(kc, "%install 'apple/swift-algorithms 1.2.1'")
        assert reply["ename"] == "UsageError", reply
        assert result_of(ok(kc, "keptThroughFailure")) == "7"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
