"""`jupyter console --kernel swift` in a terminal: cells, a function typed line by line, errors, exit.

The console runs in a pty with its full prompt_toolkit interface: the plain `simple_prompt` mode never
asks the kernel `is_complete` (it takes every line as a whole cell), so it cannot show continuation
lines. What the console draws is read with its escape sequences stripped."""
import os
import re
import sys
import time

import pexpect
import psutil
import pytest

from conftest import ROOT

JUPYTER = os.path.join(os.path.dirname(sys.executable), "jupyter")
if not os.path.exists(JUPYTER):
    JUPYTER = os.path.join(ROOT, ".venv", "bin", "jupyter")

START_TIMEOUT = 60  # a kernel starts in about a second
CELL_TIMEOUT = 120  # a cell compiles in 0.1-1 s; the first may take longer, and the machine may be busy
EXIT_TIMEOUT = 20

# CSI (colours, cursor moves, modes), OSC (titles), charset selection and single-character escapes.
ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78])")
CONTINUATION = "...: "  # after padding to the prompt's width


def clean(raw):
    return ANSI.sub("", raw).replace("\r", "")


def other_prompt(number):
    """A prompt `In [k]: ` with k other than number: the console has run a cell."""
    return rf"In \[(?!{number}\])(\d+)\]: "


class Console:
    """One `jupyter console --kernel swift` in a pty, and everything it has drawn."""

    def __init__(self, workdir):
        env = os.environ.copy()  # JUPYTER_PATH and JUPYTER_DATA_DIR from conftest: our kernelspec only
        env.update(
            TERM="xterm",
            # prompt_toolkit would otherwise ask the terminal where the cursor is and wait for an answer.
            PROMPT_TOOLKIT_NO_CPR="1",
            # The console's own history database and configuration stay out of the user's home.
            IPYTHONDIR=os.path.join(workdir, "ipython"),
            JUPYTER_CONFIG_DIR=os.path.join(workdir, "config"),
        )
        # The console waits 1 s by default for `is_complete_reply`, then gives up on the kernel's answer
        # for the rest of the session; a busy test machine should not turn that into a failure here.
        args = ["console", "--kernel", "swift", "--ZMQTerminalInteractiveShell.kernel_is_complete_timeout=30"]
        self.child = pexpect.spawn(
            JUPYTER, args, env=env, dimensions=(40, 200), encoding="utf-8", codec_errors="replace"
        )
        self.raw = ""
        self.mark = 0
        self.number = None
        try:
            match = self.expect(r"In \[(\d+)\]: ", START_TIMEOUT, "the first prompt")
        except BaseException:
            self.close()
            raise
        self.number = match.group(1)

    @property
    def transcript(self):
        return clean(self.raw)

    def since_mark(self):
        return clean(self.raw[self.mark:])

    def set_mark(self):
        """Later expectations look only at what the console draws from now on."""
        cut = len(self.raw)
        escape = self.raw.rfind("\x1b", max(0, cut - 64))
        if escape >= 0 and not ANSI.match(self.raw, escape):  # an escape sequence still arriving
            cut = escape
        self.mark = cut

    def expect(self, pattern, timeout, what):
        """Reads until pattern appears in what was drawn since the mark; fails with that text if not."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.since_mark())
            if match:
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(
                    f"no {what} ({pattern!r}) within {timeout} s; the console drew since:\n{self.since_mark()}"
                )
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=min(left, 0.5))
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                match = regex.search(self.since_mark())
                if match:
                    return match
                pytest.fail(f"the console ended while waiting for {what}; it drew since:\n{self.since_mark()}")

    def type_line(self, line):
        self.set_mark()
        self.child.send(line + "\r")

    def run(self, code, timeout=CELL_TIMEOUT):
        """Types a one-line cell and Enter; returns what the console drew until its next prompt."""
        self.type_line(code)
        return self.finish(f"the prompt after {code!r}", timeout)

    def finish(self, what, timeout=CELL_TIMEOUT):
        match = self.expect(other_prompt(self.number), timeout, what)
        self.number = match.group(1)
        return self.since_mark()[: match.start()]

    def kernel_processes(self):
        """The kernel the console started and the kernel's own children (its executor)."""
        return psutil.Process(self.child.pid).children(recursive=True)

    def close(self):
        """Ends whatever is left of this console and its kernel (only processes it started)."""
        leftovers = []
        if self.child.isalive():
            try:
                leftovers = self.kernel_processes()
            except psutil.Error:
                pass
            self.child.terminate(force=True)
        for process in leftovers:
            try:
                process.kill()
            except psutil.Error:
                pass
        self.child.close(force=True)


def still_running(processes):
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running


@pytest.fixture
def new_console(tmp_path):
    consoles = []

    def make():
        console = Console(str(tmp_path / f"console{len(consoles)}"))
        consoles.append(console)
        return console

    yield make
    for console in consoles:
        console.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    console = Console(str(tmp_path_factory.mktemp("console")))
    yield console
    console.close()


def assert_result(output, value, code):
    assert re.search(rf"Out\[\d+\]: {re.escape(value)}\n", output), f"{code!r} should show Out[…]: {value}:\n{output}"


def test_console_starts_our_kernel_and_shows_a_cells_result(console):
    assert "swift-kernel" in console.transcript, f"the kernel's banner is missing:\n{console.transcript}"
    output = console.run("let answer = 6 * 7")
    assert "Out[" not in output and "error" not in output, output
    assert_result(console.run("answer"), "42", "answer")


def test_function_typed_line_by_line_runs_when_its_brace_closes(console):
    before = console.number
    ran = other_prompt(before)
    console.type_line("func twice(_ x: Int) -> Int {")
    # Enter either opens a continuation line under the first one or, wrongly, runs the cell (a new
    # prompt, likely after a compile error).
    match = console.expect(rf"\{{\n *{re.escape(CONTINUATION)}|{ran}", CELL_TIMEOUT, "a continuation line")
    opened = console.since_mark()
    assert not match.group(0).startswith("In ["), f"the unfinished function ran as a cell:\n{opened}"
    assert "error" not in opened, opened

    console.type_line("return x * 2")
    match = console.expect(rf"return x \* 2\n *{re.escape(CONTINUATION)}|{ran}", CELL_TIMEOUT, "a second continuation line")
    assert not match.group(0).startswith("In ["), f"the function ran before its closing brace:\n{console.since_mark()}"

    # The closing brace completes the cell: it runs with no extra blank line.
    console.type_line("}")
    output = console.finish("the prompt after the closing brace")
    assert "error" not in output, output
    # The kernel's `is_complete` answered, with an indent: the console's own fallback would have needed
    # a blank line to run the cell, and inserts no indent.
    assert re.search(rf"{re.escape(CONTINUATION)}  return x \* 2\n", output), f"the body was not indented:\n{output}"
    assert "did not respond" not in console.transcript, console.transcript

    assert_result(console.run("twice(21)"), "42", "twice(21)")


def test_compile_error_is_shown_and_the_console_keeps_working(console):
    console.run("let kept = 42")
    output = console.run('let broken: Int = "text"')
    assert "cannot convert value of type 'String'" in output, output
    assert "Out[" not in output, output
    assert_result(console.run("kept + 1"), "43", "kept + 1")


def test_ctrl_d_ends_the_console_and_its_kernel(new_console):
    console = new_console()
    assert_result(console.run("6 * 7"), "42", "6 * 7")
    processes = console.kernel_processes()
    assert any("kernel" in process.cmdline() for process in processes), processes

    console.set_mark()
    console.child.send("\x04")  # Ctrl-D on an empty line
    console.expect(r"Do you really want to exit \(\[y\]/n\)\? ", EXIT_TIMEOUT, "the exit question")
    console.type_line("y")
    console.expect(r"Shutting down kernel", EXIT_TIMEOUT, "the shutdown notice")
    try:
        console.child.expect(pexpect.EOF, timeout=EXIT_TIMEOUT)
    except pexpect.TIMEOUT:
        pytest.fail(f"the console did not end within {EXIT_TIMEOUT} s:\n{console.since_mark()}")
    console.child.close()
    assert console.child.exitstatus == 0, (console.child.exitstatus, console.child.signalstatus, console.since_mark())

    deadline = time.monotonic() + EXIT_TIMEOUT
    while still_running(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not still_running(processes), f"still running after the console ended: {still_running(processes)}"


def test_exit_ends_the_console(new_console):
    console = new_console()
    assert_result(console.run("6 * 7"), "42", "6 * 7")
    processes = console.kernel_processes()
    console.type_line("exit")
    match = console.expect(rf"Shutting down kernel|{other_prompt(console.number)}", EXIT_TIMEOUT, "the console's end")
    assert match.group(0) == "Shutting down kernel", f"`exit` ran as a cell:\n{console.since_mark()}"
    console.child.expect(pexpect.EOF, timeout=EXIT_TIMEOUT)
    console.child.close()
    assert console.child.exitstatus == 0
    deadline = time.monotonic() + EXIT_TIMEOUT
    while still_running(processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not still_running(processes), f"still running after `exit`: {still_running(processes)}"
