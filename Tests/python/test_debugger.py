"""JupyterLab's debugger protocol, driven through jupyter_client as JupyterLab drives it: debug_request on
control, debug_event on iopub, the real lldb-dap attached to the real executor."""
import json
import os
import queue
import shutil
import subprocess
import threading
import time

import pytest
from jupyter_client.manager import KernelManager

from kernel_helpers import start

SEED = 0xC70F6907


def murmur2(text, seed=SEED):
    """MurmurHash2 over UTF-8, as JupyterLab's hash.ts (the reference the kernel's cell paths must match)."""
    data = text.encode()
    m = 0x5BD1E995
    h = (seed ^ len(data)) & 0xFFFFFFFF
    i = 0
    while len(data) - i >= 4:
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
        i += 4
    rest = len(data) - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


class Session:
    """A kernel and its client: debug requests on control, and iopub read on a thread of its own so that
    events and a running cell's messages can be waited for in any order."""

    def __init__(self):
        self.km, self.kc = start()
        self.seq = 0
        self.messages = []
        self.arrived = threading.Condition()
        self.running = True
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while self.running:
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            with self.arrived:
                self.messages.append(msg)
                self.arrived.notify_all()

    def close(self):
        self.running = False
        self.reader.join()
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def debug(self, command, arguments=None, timeout=90):
        self.seq += 1
        content = {"type": "request", "seq": self.seq, "command": command}
        if arguments is not None:
            content["arguments"] = arguments
        msg = self.kc.session.msg("debug_request", content)
        self.kc.control_channel.send(msg)
        deadline = time.time() + timeout
        while True:
            reply = self.kc.get_control_msg(timeout=max(deadline - time.time(), 0.1))
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                assert reply["msg_type"] == "debug_reply"
                response = reply["content"]
                assert response["request_seq"] == self.seq and response["command"] == command, response
                self.wait_idle(msg["header"]["msg_id"])
                return response

    def ok(self, command, arguments=None):
        response = self.debug(command, arguments)
        assert response["success"], response
        return response.get("body", {})

    def wait_for(self, predicate, what, timeout=90):
        """The first iopub message (read since the start) that `predicate` accepts, taken out of the list."""
        deadline = time.time() + timeout
        with self.arrived:
            while True:
                for i, msg in enumerate(self.messages):
                    if predicate(msg):
                        return self.messages.pop(i)
                left = deadline - time.time()
                assert left > 0, f"no {what} within {timeout} s; iopub had " + repr(
                    [(m["msg_type"], m["content"]) for m in self.messages if m["msg_type"] != "status"])
                self.arrived.wait(left)

    def wait_event(self, name):
        msg = self.wait_for(lambda m: m["msg_type"] == "debug_event" and m["content"]["event"] == name,
                            f"'{name}' event")
        return msg["content"]

    def wait_idle(self, msg_id):
        self.wait_for(lambda m: m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status"
                      and m["content"]["execution_state"] == "idle", "idle")

    def execute(self, code):
        return self.kc.execute(code)

    def reply(self, msg_id, timeout=120):
        deadline = time.time() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(deadline - time.time(), 0.1))
            if reply["parent_header"].get("msg_id") == msg_id:
                self.wait_idle(msg_id)
                return reply["content"]

    def stdout(self, msg_id):
        """What the request printed (its messages up to now, taken out of the list)."""
        with self.arrived:
            taken = [m for m in self.messages if m["parent_header"].get("msg_id") == msg_id]
            self.messages = [m for m in self.messages if m not in taken]
        return "".join(m["content"]["text"] for m in taken
                       if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")

    def run(self, code):
        """Runs a cell that must succeed; returns what it printed."""
        msg_id = self.execute(code)
        reply = self.reply(msg_id)
        assert reply["status"] == "ok", reply
        return self.stdout(msg_id)

    def start_debugger(self):
        info = self.ok("debugInfo", {})
        assert info["isStarted"] is False
        capabilities = self.ok("initialize", {
            "clientID": "jupyterlab", "clientName": "JupyterLab", "adapterID": "swift", "pathFormat": "path",
            "linesStartAt1": True, "columnsStartAt1": True, "supportsVariableType": True,
            "supportsVariablePaging": True, "supportsRunInTerminalRequest": True, "locale": "en"})
        assert capabilities.get("supportsConfigurationDoneRequest"), capabilities
        self.ok("attach", {})
        assert self.ok("debugInfo", {})["isStarted"] is True

    def stopped_frame(self):
        """Waits for a `stopped` event; returns its thread and the top frame of its stack."""
        stopped = self.wait_event("stopped")
        thread = stopped["body"]["threadId"]
        frames = self.ok("stackTrace", {"threadId": thread})["stackFrames"]
        assert frames, stopped
        return thread, frames


@pytest.fixture
def session():
    s = Session()
    yield s
    s.close()


def test_kernel_info_announces_the_debugger(session):
    session.kc.kernel_info()
    reply = session.kc.get_shell_msg(timeout=30)
    assert reply["content"]["debugger"] is True
    assert "debugger" in reply["content"]["supported_features"]
    spec = session.km.kernel_spec
    assert spec.metadata["debugger"] is True


def test_a_breakpoint_stops_the_cell_shows_its_locals_steps_and_continues(session):
    session.run("let offset = 10")
    session.start_debugger()
    info = session.ok("debugInfo", {})
    assert info["hashMethod"] == "Murmur2" and info["tmpFileSuffix"] == ".swift"
    code = "var total = 0\nfor i in 1...3 {\n  total += i * offset\n}\nprint(\"total\", total)"
    path = session.ok("dumpCell", {"code": code})["sourcePath"]
    assert path == f"{info['tmpFilePrefix']}{murmur2(code, info['hashSeed'])}.swift"
    assert session.ok("source", {"source": {"path": path}})["content"] == code
    session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 3}], "sourceModified": False})
    assert session.ok("debugInfo", {})["breakpoints"] == [{"source": path, "breakpoints": [{"line": 3}]}]

    msg_id = session.execute(code)
    thread, frames = session.stopped_frame()
    assert frames[0]["source"]["path"] == path and frames[0]["line"] == 3, frames[0]
    assert all(f["source"]["path"].startswith(info["tmpFilePrefix"]) for f in frames if "source" in f), frames
    assert session.ok("debugInfo", {})["stoppedThreads"] == [thread]

    scopes = session.ok("scopes", {"frameId": frames[0]["id"]})["scopes"]
    assert "Registers" not in [s["name"] for s in scopes]
    locals_ = next(s for s in scopes if s["name"] == "Locals")
    variables = session.ok("variables", {"variablesReference": locals_["variablesReference"]})["variables"]
    assert {"name": "i", "value": "1"}.items() <= next(v for v in variables if v["name"] == "i").items(), variables
    # The Globals scope has the cell's own globals and the session's, from earlier cells.
    globals_ = next(s for s in scopes if s["name"] == "Globals")
    variables = session.ok("variables", {"variablesReference": globals_["variablesReference"]})["variables"]
    values = {v["name"]: v["value"] for v in variables}
    assert values.get("offset") == "10" and values.get("total") == "0", variables

    result = session.ok("evaluate", {"expression": "i * 100 + offset", "frameId": frames[0]["id"], "context": "repl"})
    assert result["result"].strip().endswith("110"), result
    rich = session.ok("richInspectVariables", {"variableName": "i", "frameId": frames[0]["id"]})
    assert rich["data"]["text/plain"].strip().endswith("1"), rich

    session.ok("next", {"threadId": thread})
    _, frames = session.stopped_frame()
    assert frames[0]["source"]["path"] == path and frames[0]["line"] in (2, 3, 4), frames[0]

    session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": []})
    session.ok("continue", {"threadId": thread})
    reply = session.reply(msg_id)
    assert reply["status"] == "ok", reply
    assert session.stdout(msg_id) == "total 60\n"

    session.ok("disconnect", {"restart": False, "terminateDebuggee": False})
    assert session.ok("debugInfo", {})["isStarted"] is False
    assert session.run("print(total + offset)") == "70\n"


def test_interrupt_while_stopped_ends_the_cell_and_keeps_the_state(session):
    session.run("let kept = 42")
    session.start_debugger()
    code = "var n = 0\nwhile n >= 0 {\n  n += 1\n}"
    path = session.ok("dumpCell", {"code": code})["sourcePath"]
    session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 3}]})
    msg_id = session.execute(code)
    thread, frames = session.stopped_frame()
    assert frames[0]["line"] == 3

    session.km.interrupt_kernel()
    continued = session.wait_event("continued")
    assert continued["body"]["threadId"] == thread
    reply = session.reply(msg_id)
    assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    assert session.ok("debugInfo", {})["stoppedThreads"] == []
    # The state is kept, and the breakpoint is set again: the same cell stops there once more.
    assert session.run("print(kept)") == "42\n"
    msg_id = session.execute(code)
    _, frames = session.stopped_frame()
    assert frames[0]["source"]["path"] == path and frames[0]["line"] == 3
    session.ok("disconnect", {"restart": False, "terminateDebuggee": False})
    session.km.interrupt_kernel()
    assert session.reply(msg_id)["ename"] == "Interrupted"
    assert session.run("print(kept + 1)") == "43\n"


def test_a_breakpoint_in_a_function_of_an_earlier_cell(session):
    function = "func triple(_ x: Int) -> Int {\n  let y = x * 3\n  return y\n}"
    session.run(function)
    session.start_debugger()
    path = session.ok("dumpCell", {"code": function})["sourcePath"]
    breakpoints = session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 2}]})
    assert breakpoints["breakpoints"][0]["verified"] is True, breakpoints
    msg_id = session.execute("print(triple(5))")
    thread, frames = session.stopped_frame()
    assert frames[0]["source"]["path"] == path and frames[0]["line"] == 2, frames[0]
    locals_ = next(s for s in session.ok("scopes", {"frameId": frames[0]["id"]})["scopes"] if s["name"] == "Locals")
    variables = session.ok("variables", {"variablesReference": locals_["variablesReference"]})["variables"]
    assert next(v for v in variables if v["name"] == "x")["value"] == "5", variables
    session.ok("continue", {"threadId": thread})
    assert session.reply(msg_id)["status"] == "ok"
    assert session.stdout(msg_id) == "15\n"
    session.ok("disconnect", {"restart": False, "terminateDebuggee": False})


def test_errors_and_traps_still_name_the_cell(session):
    session.start_debugger()
    msg_id = session.execute("let a = [1]\nprint(a[1 + undefinedName])")
    reply = session.reply(msg_id)
    assert reply["status"] == "error" and "<Cell 1>:2" in "\n".join(reply["traceback"]), reply
    session.ok("disconnect", {"restart": False, "terminateDebuggee": False})
    msg_id = session.execute("let b = [1]\nlet k = 3\nprint(b[k])")
    reply = session.reply(msg_id)
    assert reply["ename"] == "FatalError" and "<Cell 2>:3" in "\n".join(reply["traceback"]), reply


def children(pid, name):
    """Pids of the live child processes of `pid` whose command line contains `name`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and name in command:
            found.append(int(entry))
    return found


def wait_until(condition, what, timeout=60):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def test_a_restarted_executor_is_attached_again_with_its_breakpoints(session):
    function = "func triple(_ x: Int) -> Int {\n  let y = x * 3\n  return y\n}"
    session.run(function)
    session.start_debugger()
    path = session.ok("dumpCell", {"code": function})["sourcePath"]
    session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 2}]})
    kernel = session.km.provisioner.process.pid
    [executor] = children(kernel, " executor ")
    os.kill(executor, 9)
    wait_until(lambda: not children(kernel, " executor "), "the executor's end")
    msg_id = session.execute("print(triple(4))")
    thread, frames = session.stopped_frame()
    assert frames[0]["source"]["path"] == path and frames[0]["line"] == 2, frames[0]
    session.ok("continue", {"threadId": thread})
    assert session.reply(msg_id)["status"] == "ok"
    assert session.stdout(msg_id) == "12\n"
    session.ok("disconnect", {"restart": False, "terminateDebuggee": False})


def test_lldb_dap_dying_restarts_the_executor_and_the_kernel_goes_on(session):
    session.run("func seven() -> Int { 7 }")
    session.start_debugger()
    code = "var s = 0\ns += seven()\nprint(s)"
    path = session.ok("dumpCell", {"code": code})["sourcePath"]
    session.ok("setBreakpoints", {"source": {"path": path}, "breakpoints": [{"line": 2}]})
    kernel = session.km.provisioner.process.pid
    [adapter] = children(kernel, "lldb-dap")
    [executor] = children(kernel, " executor ")
    os.kill(adapter, 9)
    # The kernel ends the executor, whose code may hold lldb-dap's breakpoint instructions.
    wait_until(lambda: executor not in children(kernel, " executor "), "the executor's end")
    msg_id = session.execute(code)
    reply = session.reply(msg_id)
    assert reply["status"] == "ok", reply
    with session.arrived:
        stderr = "".join(m["content"]["text"] for m in session.messages
                         if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream"
                         and m["content"]["name"] == "stderr")
    assert "lldb-dap" in stderr and "restarted" in stderr, stderr
    assert session.stdout(msg_id) == "7\n"
    assert session.ok("debugInfo", {})["isStarted"] is False


def test_without_a_working_lldb_dap_the_debugger_is_off_and_says_why(tmp_path, monkeypatch):
    """`install` where lldb-dap cannot start (no libpython3.10 on its path, none recorded by setup.sh): the
    kernelspec says `debugger: false`, and the kernel answers debug requests with the reason."""
    from conftest import BINARY
    frontend = shutil.which("swift-frontend") or os.path.join(os.environ.get("SWIFT_TOOLCHAIN", ""), "bin", "swift-frontend")
    lldb_dap = os.path.join(os.path.dirname(os.path.realpath(frontend)), "lldb-dap")
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "SWIFT_KERNEL_LLDB_DAP_LIBRARY_PATH")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # no folder recorded by setup.sh
    if subprocess.run([lldb_dap, "--version"], env=env, capture_output=True).returncode == 0:
        pytest.skip("this toolchain's lldb-dap runs without help: nothing to take away")
    installed = subprocess.run([BINARY, "install", "--prefix", str(tmp_path), "--name", "swift-nodebug"], env=env,
                               capture_output=True, text=True, check=True)
    assert "debugger will be off" in installed.stdout, installed.stdout
    spec_path = tmp_path / "share" / "jupyter" / "kernels" / "swift-nodebug" / "kernel.json"
    spec = json.loads(spec_path.read_text())
    assert spec["metadata"]["debugger"] is False and "lldb-dap" in spec["env"]["SWIFT_KERNEL_NO_DEBUGGER"], spec
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter") + os.pathsep + os.environ["JUPYTER_PATH"])
    km = KernelManager(kernel_name="swift-nodebug")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        kc.kernel_info()
        info = kc.get_shell_msg(timeout=30)["content"]
        assert info["debugger"] is False and "supported_features" not in info
        msg = kc.session.msg("debug_request", {"type": "request", "seq": 1, "command": "initialize", "arguments": {}})
        kc.control_channel.send(msg)
        reply = kc.get_control_msg(timeout=30)
        assert reply["msg_type"] == "debug_reply" and reply["content"]["success"] is False
        assert "lldb-dap" in reply["content"]["message"], reply["content"]
        kc.execute("print(1)")
        assert kc.get_shell_msg(timeout=60)["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
