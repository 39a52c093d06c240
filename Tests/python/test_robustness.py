"""The kernel survives what users and networks throw at it: traps, interrupts, bad messages."""
import json
import os
import signal
import time
import uuid

import pytest
import zmq
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

from kernel_helpers import (
    KERNEL, collect_iopub, execute, result_of, start, text_of, until_file, wait_for_output, wait_reply)


@pytest.fixture
def kernel():
    km, kc = start()
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


@pytest.mark.parametrize(
    "code,message,line",
    [
        ("let a = [1, 2, 3]\nlet i = 7\nprint(a[i])", "Index out of range", 3),
        ("let s: String? = nil\nprint(s!)", "Unexpectedly found nil while unwrapping an Optional value", 2),
        ('func boom() -> Never {\n  fatalError("boom went the cell")\n}\nboom()', "boom went the cell", 2),
        ("var big = Int.max\nbig += 1", "Arithmetic overflow", 2),
        ("func down(_ n: Int) -> Int { n == 0 ? 0 : 1 + down(n - 1) }\ndown(1 << 40)", "Stack overflow", 1),
        ("var sums = [1, 2]\nsums[5] = 1", "Index out of range", 2),
    ],
)
def test_a_trap_ends_only_its_cell_and_the_session_is_kept(kernel, code, message, line):
    km, kc = kernel
    execute(kc, "var before = 1\nfunc helper() -> Int { before + 1 }\nstruct Kept { var v = 5 }\n"
                "let model = Linear(outputs: 2)\nlet y0 = model(Tensor(ones: [1, 3]))")
    reply, outputs = execute(kc, 'print("ran first")\n' + code)
    assert reply["status"] == "error" and reply["ename"] == "FatalError"
    kinds = [t for t, _ in outputs]
    assert kinds == ["execute_input", "stream", "error"], outputs  # no backtrace noise on stderr
    assert outputs[1][1]["text"] == "ran first\n", "what ran before the fault keeps its effect"
    traceback = "\n".join(outputs[-1][1]["traceback"])
    assert message in reply["evalue"]
    assert f"at <Cell {reply['execution_count']}>:{line + 1}" in traceback or (message == "Stack overflow" and "at <Cell" in traceback)
    assert "state is kept" in traceback
    assert km.is_alive()
    # The same executor: earlier values, functions, types and a model's parameters are all still there.
    reply, outputs = execute(kc, "before += 1\nprint(before, helper(), Kept().v)\nmodel(Tensor(ones: [1, 3])).scalars == y0.scalars")
    assert reply["status"] == "ok", outputs
    assert text_of(outputs) == "2 3 5\n"
    assert result_of(outputs) == "true"


def test_interrupt_message_stops_an_endless_loop_and_keeps_the_session(kernel):
    km, kc = kernel
    execute(kc, "var kept = 40\nfunc two() -> Int { 2 }\nstruct Box { var v = 0 }")
    msg_id = kc.execute('var spins = 0\nprint("spinning")\nwhile true { spins &+= 1 }')
    wait_for_output(kc, msg_id)
    km.interrupt_kernel()  # interrupt_mode "message": an interrupt_request on control
    reply = wait_reply(kc, msg_id, timeout=30)
    content = reply["content"]
    assert content["status"] == "error" and content["ename"] == "Interrupted"
    # Stopped where it stood, not by a new executor: nothing was lost.
    assert "state is kept" in "\n".join(content["traceback"]), content
    assert "state is kept" in "\n".join(content["traceback"])
    collect_iopub(kc, msg_id)
    # The loop was stopped where it stood: its cell's values and everything before it are still there.
    reply, outputs = execute(kc, "kept + two() + Box().v + (spins > 0 ? 1 : 0)")
    assert reply["status"] == "ok" and result_of(outputs) == "43"


def test_an_interrupt_with_cells_queued_answers_in_request_order(kernel):
    # The interrupted cell is answered first, then the cells queued behind it, "aborted" as ipykernel
    # answers them (nbclient and JupyterLab take that as "not run").
    km, kc = kernel
    running = kc.execute('print("spinning")\nwhile true {}')
    wait_for_output(kc, running)
    queued = [kc.execute('print("queued 1")'), kc.execute('print("queued 2")')]
    km.interrupt_kernel()
    order = [kc.get_shell_msg(timeout=60) for _ in range(3)]
    assert [msg["parent_header"]["msg_id"] for msg in order] == [running] + queued
    assert order[0]["content"]["status"] == "error" and order[0]["content"]["ename"] == "Interrupted"
    assert [msg["content"] for msg in order[1:]] == [{"status": "aborted"}] * 2
    reply, outputs = execute(kc, "40 + 2")
    assert reply["status"] == "ok" and result_of(outputs) == "42"


def test_a_refused_allocation_is_a_memory_error_that_keeps_the_session(kernel):
    # As Python's MemoryError: the user's mistake, not a crash. Values of earlier cells stay.
    km, kc = kernel
    execute(kc, "var kept = 41\nlet weights = Tensor(ones: [2, 2])")
    pid = executor_pid(km)
    reply, outputs = execute(kc, 'print("before")\nlet huge = [UInt8](repeating: 1, count: 1 << 42)\nprint(huge.count)')
    assert reply["status"] == "error" and reply["ename"] == "MemoryError", reply
    assert "failed to allocate 4398046511" in reply["evalue"]
    traceback = "\n".join(reply["traceback"])
    assert f"at <Cell {reply['execution_count']}>:2" in traceback and "state is kept" in traceback
    assert text_of(outputs) == "before\n"
    assert executor_pid(km) == pid, "the same executor, not a restarted one"
    # A second failure is caught as the first was; then the session's values are all there.
    reply, _ = execute(kc, "let again = [Double](repeating: 0, count: 1 << 41)")
    assert reply["ename"] == "MemoryError"
    reply, outputs = execute(kc, "kept += 1\nkept + Int(weights.sum().scalars[0])")
    assert reply["status"] == "ok" and result_of(outputs) == "46"


def test_an_interrupt_sent_right_after_its_cell_is_never_lost(kernel):
    # The interrupt may reach the kernel before its execution thread has started the cell; it is kept
    # for that cell (it used to be dropped, and the endless loop below then never ended).
    km, kc = kernel
    execute(kc, "var kept = 1")
    for _ in range(5):
        msg_id = kc.execute("while true {}")
        # Once the kernel has taken the request (its execute_input), not necessarily started it. (An
        # interrupt that overtakes its execute_request on another socket finds nothing to interrupt,
        # as in ipykernel: the channels keep no order between them.)
        wait_for(kc, msg_id, "execute_input")
        km.interrupt_kernel()
        reply = wait_reply(kc, msg_id, timeout=30)["content"]
        assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
    # (That an interrupt for a cell that has ended is not kept for the next one is a unit test,
    # InterruptBookkeepingTests: from a client, an interrupt_request and the next execute_request travel on
    # two sockets, in no order the kernel can see.)
    reply, outputs = execute(kc, "kept + 1")
    assert reply["status"] == "ok" and result_of(outputs) == "2"


def wait_for(kc, msg_id, msg_type, timeout=60):
    deadline = time.time() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(deadline - time.time(), 0.1))
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == msg_type:
            return msg


def executor_pid(km):
    """The pid of the kernel's executor child (`swift-kernel executor …`)."""
    import psutil
    kernel = psutil.Process(km.provisioner.process.pid)
    pids = [pid for pid, line in command_lines(kernel.children()) if line[1:2] == ["executor"]]
    assert len(pids) == 1, command_lines(kernel.children())
    return pids[0]


def command_lines(processes):
    """(pid, command line) of each process still running: a compiler or linker child that has just
    ended is a zombie until the kernel reaps it, and psutil raises for its command line."""
    import psutil
    lines = []
    for process in processes:
        try:
            lines.append((process.pid, process.cmdline()))
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            pass
    return lines


def test_a_lost_global_read_through_a_function_is_an_error_not_a_silent_rerun(kernel):
    # After a restart, a function of an earlier cell that reads that cell's global would run its
    # initialiser again in silence (with its side effects, and the first value, not the last).
    km, kc = kernel
    reply, outputs = execute(kc, 'var count: Int = { print("initialising count"); return 5 }()\nfunc peek() -> Int { count }')
    defining = reply["execution_count"]
    assert text_of(outputs) == "initialising count\n"
    execute(kc, "count = 9")
    # Killed between cells, and the next request sent at once: the kernel may write to the dead
    # executor before its pipes say it ended (that write's SIGPIPE used to end the kernel in silence).
    os.kill(executor_pid(km), signal.SIGKILL)
    reply, outputs = execute(kc, "peek()")
    assert "The executor stopped unexpectedly (signal 9: Killed)" in text_of(outputs)
    assert reply["status"] == "error" and reply["ename"] == "FatalError", reply
    assert f"'count' has no value: <Cell {defining}>" in reply["evalue"]
    assert f"run <Cell {defining}> again" in reply["evalue"]
    assert "initialising count" not in text_of(outputs)
    # The same holds for a global its cell never reached, because it stopped before the line.
    reply, _ = execute(kc, 'func readLater() -> Int { later }\nlet none: [Int] = []\nprint(none[1])\nlet later = 7')
    assert reply["ename"] == "FatalError"
    reply, _ = execute(kc, "readLater()")
    assert reply["status"] == "error" and "'later' has no value" in reply["evalue"], reply
    # Running the defining cell again gives the function its value back.
    execute(kc, 'var count: Int = { print("initialising count"); return 5 }()\nfunc peek() -> Int { count }')
    reply, outputs = execute(kc, "peek()")
    assert reply["status"] == "ok" and result_of(outputs) == "5"


def test_text_that_looks_like_a_trap_report_is_shown_when_no_trap_follows(kernel):
    # The kernel holds back what follows "Fatal error" on stderr, a trap's message; a user's own line
    # that only looks like one, and what follows it, are shown when the cell ends without a trap.
    km, kc = kernel
    reply, outputs = execute(
        kc, 'import Foundation\nfunc err(_ s: String) { FileHandle.standardError.write(s.data(using: .utf8)!) }\n'
            'err("Fatal error: only my log\\n")\nerr("after it\\n")\nprint("done")\n1 + 1')
    assert reply["status"] == "ok", reply
    stderr = "".join(c["text"] for t, c in outputs if t == "stream" and c["name"] == "stderr")
    assert stderr == "Fatal error: only my log\nafter it\n"
    assert result_of(outputs) == "2"


def test_a_shape_mismatch_names_both_shapes_and_keeps_the_session(kernel):
    km, kc = kernel
    execute(kc, "var kept = 1")
    reply, outputs = execute(kc, "let a = Tensor(zeros: [2, 3])\nlet b = Tensor(zeros: [4, 5])\nlet c = a.matmul(b)")
    assert reply["ename"] == "FatalError"
    assert "[2, 3]" in reply["evalue"] and "[4, 5]" in reply["evalue"]
    assert f"at <Cell {reply['execution_count']}>:3" in "\n".join(reply["traceback"])
    reply, outputs = execute(kc, "kept += 1\nkept + a.shape[0]")
    assert result_of(outputs) == "4"


def test_when_the_executor_dies_declarations_survive_and_lost_values_are_named(kernel):
    km, kc = kernel
    execute(kc, "var kept = 1\nlet scale = 3")
    execute(kc, "func triple(_ x: Int) -> Int { x * 3 }\nstruct Pair { var a = 1, b = 2 }\n"
                "extension Int { var doubled: Int { self * 2 } }")
    reply, outputs = execute(kc, "import Glibc\nexit(0)")
    assert reply["ename"] == "FatalError"
    traceback = "\n".join(reply["traceback"])
    assert "exit status 0" in traceback
    assert "values were lost: kept, scale" in traceback
    # Functions, types and extensions of earlier cells still work in the new executor.
    reply, outputs = execute(kc, "triple(Pair().b) + 5.doubled")
    assert reply["status"] == "ok" and result_of(outputs) == "16"
    # A lost value names the cell to run again, instead of "cannot find 'kept' in scope".
    reply, _ = execute(kc, "kept + 1")
    assert reply["status"] == "error"
    assert "'kept' was lost" in reply["evalue"] and "<Cell 1>" in "\n".join(reply["traceback"])
    execute(kc, "var kept = 10")
    reply, outputs = execute(kc, "kept + 1")
    assert result_of(outputs) == "11"


def test_interrupt_of_a_cooperative_cell_keeps_state(kernel):
    km, kc = kernel
    execute(kc, "var kept = \"still here\"")
    msg_id = kc.execute('var steps = 0\nprint("stepping")\nwhile !StopRequest.isRequested { steps += 1 }')
    wait_for_output(kc, msg_id)
    km.interrupt_kernel()
    reply = wait_reply(kc, msg_id, timeout=10)
    assert reply["content"]["ename"] == "Interrupted"
    assert "state is kept" in "\n".join(reply["content"]["traceback"])
    reply, outputs = execute(kc, "kept + \" after \\(steps > 0)\"")
    assert result_of(outputs) == '"still here after true"'


def test_sigint_to_the_kernel_interrupts_too(kernel):
    km, kc = kernel
    msg_id = kc.execute('print("looping")\nwhile true {}')
    wait_for_output(kc, msg_id)
    km.signal_kernel(signal.SIGINT)
    reply = wait_reply(kc, msg_id, timeout=30)
    assert reply["content"]["ename"] == "Interrupted"
    assert km.is_alive()


def test_stdin_round_trip_and_nil_when_not_allowed(kernel):
    km, kc = kernel
    msg_id = kc.execute('let answer = readLine()\nprint("got", answer ?? "nil")', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=30)
    assert request["msg_type"] == "input_request"
    assert request["parent_header"]["msg_id"] == msg_id
    kc.input("forty-two")
    reply = wait_reply(kc, msg_id)
    assert reply["content"]["status"] == "ok"
    assert text_of(collect_iopub(kc, msg_id)) == "got forty-two\n"
    reply, outputs = execute(kc, 'print(readLine() == nil ? "no input" : "input")', allow_stdin=False)
    assert text_of(outputs) == "no input\n"


def test_heartbeat_answers_while_a_cell_runs(kernel, tmp_path):
    km, kc = kernel
    # The cell runs until the test makes a file (at most 30 s), after the heartbeat has answered.
    go = tmp_path / "go"
    msg_id = kc.execute(until_file(go, 'print("sleeping")', "slept"))
    wait_for_output(kc, msg_id)
    context = zmq.Context.instance()
    socket = context.socket(zmq.REQ)
    socket.linger = 0
    socket.connect(f"{km.transport}://{km.ip}:{km.hb_port}")
    try:
        for payload in (b"ping", b"pong-" + uuid.uuid4().bytes):
            socket.send(payload)
            assert socket.poll(30000), "no heartbeat while the cell runs"
            assert socket.recv() == payload
    finally:
        socket.close()
        go.touch()
    assert wait_reply(kc, msg_id)["content"]["status"] == "ok"
    assert text_of(collect_iopub(kc, msg_id)) == "slept\n"


def _first_reply_after(km, socket):
    """Sends a signed kernel_info_request on the socket and returns the type of the first reply that comes back."""
    good = Session(key=km.session.key)
    socket.send_multipart(good.serialize(good.msg("kernel_info_request", {})))
    assert socket.poll(60000), "no reply at all"
    return good.deserialize(good.feed_identities(socket.recv_multipart())[1])["msg_type"]


def raw_shell(km):
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(f"{km.transport}://{km.ip}:{km.shell_port}")
    return socket


def test_badly_signed_message_is_dropped(kernel):
    km, kc = kernel
    forged = Session(key=b"not-the-right-key", username="intruder")
    socket = raw_shell(km)
    try:
        message = forged.msg("execute_request", {"code": 'print("pwned")', "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        forged.send(socket, message)
        unsigned = Session(key=b"", username="intruder")
        message2 = unsigned.msg("execute_request", {"code": 'print("pwned")', "silent": False})
        unsigned.send(socket, message2)
        # A socket's messages are served in order: the first reply is to the signed request sent after them.
        assert _first_reply_after(km, socket) == "kernel_info_reply", "a forged request got a reply"
    finally:
        socket.close()
    reply, outputs = execute(kc, "2 + 2")
    assert result_of(outputs) == "4" and reply["execution_count"] == 1


def test_malformed_frames_are_survived(kernel):
    km, kc = kernel
    good = Session(key=km.session.key)
    socket = raw_shell(km)
    control = zmq.Context.instance().socket(zmq.DEALER)
    control.linger = 0
    control.connect(f"{km.transport}://{km.ip}:{km.control_port}")
    try:
        junk = [
            [b"no delimiter at all"],
            [b"<IDS|MSG>"],
            [b"<IDS|MSG>", b"sig", b"{}"],
            [b"<IDS|MSG>", b"", b"not json", b"{}", b"{}", b"{}"],
            [b"<IDS|MSG>", b"", b"\xff\xfe", b"{}", b"{}", b"{}"],
            [b"<IDS|MSG>", b"", b"[]", b"{}", b"{}", b"{}"],
        ]
        # Frames with a valid signature over invalid JSON: the signature passes, parsing must not crash.
        parts = [b"{not json", b"{}", b"{}", b"{}"]
        junk.append([b"<IDS|MSG>", good.sign(parts)] + parts)
        parts = [json.dumps({"msg_type": "execute_request"}).encode(), b"{}", b"{}", b"[1, 2]"]
        junk.append([b"<IDS|MSG>", good.sign(parts)] + parts)
        for frames in junk:
            socket.send_multipart(frames)
            control.send_multipart(frames)
        # Served in order: once a request sent after the junk is answered, the junk has been dealt with.
        assert _first_reply_after(km, socket) == "kernel_info_reply"
        assert _first_reply_after(km, control) == "kernel_info_reply"
    finally:
        socket.close()
        control.close()
    assert km.is_alive()
    reply, outputs = execute(kc, "3 + 3")
    assert result_of(outputs) == "6"


def test_ipc_transport_and_shutdown(tmp_path):
    km = KernelManager(kernel_name=KERNEL, transport="ipc", ip=str(tmp_path / "kernel-ipc"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply, outputs = execute(kc, 'print("over ipc")')
        assert text_of(outputs) == "over ipc\n"
        assert os.path.exists(f"{km.ip}-{km.shell_port}")
    finally:
        kc.stop_channels()
    process = km.provisioner.process
    km.shutdown_kernel()  # shutdown_request on control; the kernel must exit by itself
    assert not km.is_alive()
    # jupyter_client ends a kernel that does not exit in time with a signal: a status of 0 is an exit.
    assert process.poll() == 0


def test_binds_only_to_the_connection_address(kernel):
    km, _ = kernel
    ports = {km.shell_port, km.iopub_port, km.stdin_port, km.control_port, km.hb_port}
    listening = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.rsplit(":", 1)
                if state == "0A" and int(port, 16) in ports:  # LISTEN
                    listening[int(port, 16)] = address
    assert set(listening) == ports
    assert set(listening.values()) == {"0100007F"}  # 127.0.0.1 only, never 0.0.0.0


def test_shutdown_on_shell_for_old_clients(kernel):
    km, kc = kernel
    msg = kc.session.msg("shutdown_request", {"restart": False})
    kc.shell_channel.send(msg)
    reply = kc.get_shell_msg(timeout=10)
    assert reply["msg_type"] == "shutdown_reply" and reply["content"] == {"status": "ok", "restart": False}
    deadline = time.time() + 4
    while km.is_alive() and time.time() < deadline:
        time.sleep(0.1)
    assert not km.is_alive()


def _alive(pid):
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_kernel_and_executor_exit_when_the_client_dies():
    """jupyter_client sets JPY_PARENT_PID; when that process dies, the kernel must not run on."""
    import subprocess
    import sys
    client = subprocess.Popen(
        [sys.executable, "-c", (
            "import sys, time\n"
            f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
            "from kernel_helpers import start, execute\n"
            "km, kc = start()\n"
            "execute(kc, 'let x = 1')\n"
            "print(km.provisioner.process.pid, flush=True)\n"
            "time.sleep(600)\n")],
        stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        kernel = int(client.stdout.readline())
        executor = [int(c) for t in os.listdir(f"/proc/{kernel}/task")
                    for c in open(f"/proc/{kernel}/task/{t}/children").read().split()]
        assert executor and _alive(kernel)
        client.kill()
        client.wait()
        deadline = time.time() + 5
        while time.time() < deadline and (_alive(kernel) or any(_alive(p) for p in executor)):
            time.sleep(0.1)
        assert not _alive(kernel), "the kernel outlived its client"
        assert not any(_alive(p) for p in executor), "the executor outlived its kernel"
    finally:
        client.kill()


def test_a_jpy_parent_pid_that_is_not_the_parent_is_ignored(tmp_path):
    """Gateways set JPY_PARENT_PID to their own pid, and it leaks through launchers; as ipykernel, the kernel
    watches it only when it is its parent. Here it names a process that is not the kernel's parent and then
    dies: the kernel says once why it does not watch it, and serves on (a parent that dies is the test above)."""
    import subprocess
    from conftest import BINARY
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file
    stranger = subprocess.Popen(["sleep", "600"])
    connection_file, _ = write_connection_file(str(tmp_path / "kernel.json"), ip="127.0.0.1",
                                               key=uuid.uuid4().hex.encode())
    log = tmp_path / "kernel.log"
    with open(log, "w") as stderr:
        process = subprocess.Popen([BINARY, "kernel", "--connection-file", connection_file], stderr=stderr,
                                   env={**os.environ, "JPY_PARENT_PID": str(stranger.pid)})
    kc = BlockingKernelClient(connection_file=connection_file)
    kc.load_connection_file()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        said = [line for line in log.read_text().splitlines() if "JPY_PARENT_PID" in line]
        assert said == [f"[swift-kernel] JPY_PARENT_PID {stranger.pid} is not this kernel's parent ({os.getpid()}); "
                        "not watching it, as ipykernel"], said
        stranger.kill()
        stranger.wait()
        # The old kernel stopped within half a second of that process's end (its watcher's period); this
        # cell spans four periods, and the kernel answers it and the next.
        reply, outputs = execute(kc, "import Foundation\nThread.sleep(forTimeInterval: 2)\n40 + 2")
        assert reply["status"] == "ok" and result_of(outputs) == "42"
        reply, outputs = execute(kc, "1 + 1")
        assert result_of(outputs) == "2" and process.poll() is None
        executor = [int(c) for t in os.listdir(f"/proc/{process.pid}/task")
                    for c in open(f"/proc/{process.pid}/task/{t}/children").read().split()]
    finally:
        stranger.kill()
        kc.shutdown()
        kc.stop_channels()
        process.wait(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(p) for p in executor):
        time.sleep(0.1)
    assert executor and not any(_alive(p) for p in executor), "the executor outlived its kernel"


def test_a_replayed_message_is_dropped(kernel):
    """The same signed frames sent again must not run the cell again (jupyter_client's digest history)."""
    km, kc = kernel
    session = Session(key=km.session.key, username="client")
    socket = raw_shell(km)
    try:
        message = session.msg("execute_request", {"code": 'print("once")', "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        frames = session.serialize(message)
        socket.send_multipart(frames)
        assert socket.poll(30000), "the first one was answered"
        first = session.deserialize(session.feed_identities(socket.recv_multipart())[1])
        assert first["msg_type"] == "execute_reply" and first["content"]["execution_count"] == 1
        socket.send_multipart(frames)  # the very same frames, signature included
        assert _first_reply_after(km, socket) == "kernel_info_reply", "the replayed cell was answered"
    finally:
        socket.close()
    # The replay did not run: the next cell is the second, and the first ran (and printed) once.
    reply, outputs = execute(kc, "2 + 2")
    assert result_of(outputs) == "4" and reply["execution_count"] == 2, "the replayed cell ran again"
    runs = history_inputs(kc)
    assert runs.count('print("once")') == 1, runs


def history_inputs(kc):
    msg_id = kc.history(hist_access_type="range", session=0, start=1, raw=True, output=False)
    reply = wait_reply(kc, msg_id, timeout=30)
    return [row[2] for row in reply["content"]["history"]]
