"""Cells compiled by the resident compile service (`swift-kernel compile-service`, SourceKit's compiler in a
process of its own): a service that dies costs one compile the old way, an interrupt kills it, its messages are
the spawned compiler's, and it is replaced past its memory limit."""
import contextlib
import os
import signal
import subprocess
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import BINARY
from kernel_helpers import collect_iopub, execute, result_of, start, wait_reply

SPAWNED = {"SWIFT_KERNEL_COMPILE_SERVICE": "off"}


@contextlib.contextmanager
def kernel(**env):
    """A kernel started with these environment variables, shut down after."""
    km, kc = start(env=dict(os.environ, **env))
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def services(km):
    """The kernel's compile-service children still running."""
    found = []
    for child in psutil.Process(km.provisioner.process.pid).children():
        try:
            if child.cmdline()[1:2] == ["compile-service"]:
                found.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            pass  # a compiler or linker that just ended
    return found


def the_service(km):
    found = services(km)
    assert len(found) == 1, found
    return found[0]


def compiling(process, timeout=60):
    """Returns once `process` is using the CPU (the compile under way), read from its CPU time."""
    before = sum(process.cpu_times()[:2])
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sum(process.cpu_times()[:2]) > before + 0.05:
            return
        time.sleep(0.005)
    raise AssertionError("the compile never started")


def spawned_compiler(km, timeout=60):
    """The kernel's swift-frontend child, once it runs."""
    kernel = psutil.Process(km.provisioner.process.pid)
    deadline = time.time() + timeout
    while time.time() < deadline:
        for child in kernel.children():
            try:
                if "swift-frontend" in child.name():
                    return child
            except psutil.NoSuchProcess:
                pass
        time.sleep(0.005)
    raise AssertionError("no compiler started")


def ended(process, timeout=30):
    """Returns once `process` has ended: gone, or a zombie its parent (the kernel) has not reaped yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.005)
    raise AssertionError(f"{process.pid} did not end")


# A cell whose compile takes a second or more: time enough to find it compiling.
BIG = "let total = [" + ", ".join(str(i) for i in range(4000)) + "].map { $0 * 2 }.reduce(0, +)\ntotal"


@pytest.mark.parametrize("env", [{}, SPAWNED], ids=["service", "spawned"])
def test_an_interrupt_while_a_cell_compiles_stops_the_compile(env):
    with kernel(**env) as (km, kc):
        execute(kc, "var kept = 7")
        msg_id = kc.execute(BIG)
        if env:
            spawned_compiler(km)
        else:
            service = the_service(km)
            compiling(service)
        km.interrupt_kernel()
        reply = wait_reply(kc, msg_id, timeout=30)["content"]
        assert reply["ename"] == "Interrupted" and "compiled" in reply["evalue"]
        collect_iopub(kc, msg_id)
        if not env:
            # The interrupt killed the service rather than wait for it (cancelling can abort SourceKit).
            ended(service)
        # A compile that was waited for would have been loaded all the same, and `total` declared.
        reply, _ = execute(kc, "total")
        assert reply["status"] == "error" and "total" in reply["evalue"], "the compiler was waited for, not stopped"
        reply, outputs = execute(kc, "kept * 6")
        assert result_of(outputs) == "42"
        if not env:
            assert the_service(km).pid != service.pid, "a new service compiles the cells after the interrupt"


def test_a_service_that_dies_mid_compile_costs_one_compile_the_old_way():
    # A compiler crash ends the service's process with no answer, as this kill does.
    with kernel() as (km, kc):
        execute(kc, "var kept = 5")
        service = the_service(km)
        msg_id = kc.execute(BIG)
        compiling(service)
        service.kill()
        reply = wait_reply(kc, msg_id, timeout=120)["content"]
        assert reply["status"] == "ok", reply
        assert result_of(collect_iopub(kc, msg_id)) == str(sum(range(4000)) * 2)
        # The next cell starts a new service, and the session is whole.
        reply, outputs = execute(kc, "kept + total")
        assert result_of(outputs) == str(5 + sum(range(4000)) * 2)
        assert the_service(km).pid != service.pid


def test_a_service_killed_between_cells_is_replaced_and_no_cell_is_lost():
    with kernel() as (km, kc):
        execute(kc, "var kept = 5")
        service = the_service(km)
        service.kill()
        ended(service)
        reply, outputs = execute(kc, "kept + 1")
        assert reply["status"] == "ok" and result_of(outputs) == "6"
        reply, outputs = execute(kc, "kept + 2")
        assert result_of(outputs) == "7"
        assert the_service(km).pid != service.pid


def test_the_service_is_replaced_once_past_its_memory_limit():
    # A limit below what any service uses: each compile is followed by a fresh service.
    with kernel(SWIFT_KERNEL_COMPILE_SERVICE_LIMIT_MB="1") as (km, kc):
        pids = []
        for i in range(3):
            reply, outputs = execute(kc, f"struct Kept{i} {{ var v = {i} }}\nKept{i}().v + 10")
            assert reply["status"] == "ok" and result_of(outputs) == str(10 + i)
            pids.append(the_service(km).pid)
        assert len(set(pids)) == 3, pids
        # Replaced, not lost: the types of every cell are still there.
        reply, outputs = execute(kc, "Kept0().v + Kept1().v + Kept2().v")
        assert result_of(outputs) == "3"


ERRONEOUS = [
    'let typed: Int = "seven"',
    "undefinedName + 1",
    "func area(width: Int, height: Int) -> Int { width * height }\narea(3, 4)",
    "struct Box {\n  var side: Int\n  func volume() -> Int { side * sid }\n}",
    "let values = [1, 2, 3]\nvalues.append(4)",
    "var counter = 0\nfor i in 0..<3 {\n    counter += i\n}\ncounter + \"x\"",
    "let model = LeNet(lr: 0.1)\nmodel.fit(3)",
    "import NoSuchModule\n1 + 1",
    "let t = Tensor(ones: [2, 2])\nlet u: String = t",
    "enum Suit { case hearts, spades }\nfunc name(_ s: Suit) -> String {\n  switch s {\n  case .hearts: return \"h\"\n  }\n}",
]


def test_the_service_reports_the_same_errors_as_the_spawned_compiler(tmp_path):
    cells = [new_code_cell("let earlier = 41")] + [new_code_cell(code) for code in ERRONEOUS]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "swift", "display_name": "Swift"}})
    source = tmp_path / "errors.ipynb"
    nbformat.write(nb, str(source))
    outputs = {}
    for name, env in (("service", {}), ("spawned", SPAWNED)):
        target = tmp_path / f"{name}.ipynb"
        result = subprocess.run([BINARY, "run", str(source), "-o", str(target), "--allow-errors"],
                                capture_output=True, text=True, timeout=600, env=dict(os.environ, **env))
        assert result.returncode == 0, result.stderr
        outputs[name] = [cell.outputs for cell in nbformat.read(str(target), as_version=4).cells]
    errors = [[o for o in cell if o.output_type == "error"] for cell in outputs["service"][1:]]
    assert all(len(e) == 1 and e[0].ename == "CompileError" for e in errors), errors
    assert outputs["service"] == outputs["spawned"]


def test_a_cell_that_crashes_the_compiler_is_an_error_and_the_session_is_kept():
    # A 100,000-long member chain crashes Swift's compiler: in the service, then in the spawned frontend it
    # falls back to. It also overflowed the stack of the kernel's own parse (swift-syntax walks trees
    # recursively), which ended the kernel.
    with kernel() as (km, kc):
        execute(kc, "var kept = 3")
        service = the_service(km)
        reply, _ = execute(kc, "let deep = 1" + ".magnitude" * 100_000, timeout=300)
        assert reply["status"] == "error" and reply["ename"] == "CompileError", reply
        assert reply["traceback"][0] == "error: the compiler failed:"
        assert len(reply["traceback"]) <= 30, "a crash's stack dump is cut short"
        reply, outputs = execute(kc, "kept + 1")
        assert result_of(outputs) == "4"
        ended(service)
        assert the_service(km).pid != service.pid, "the crash ended the service; a new one compiles"
        # is_complete parses the cell too, on the dispatcher thread.
        kc.is_complete("let deep = 1" + ".magnitude" * 100_000)
        assert kc.get_shell_msg(timeout=60)["content"]["status"] in ("complete", "invalid")


def test_an_idle_service_ends_by_itself_and_the_next_cell_starts_a_new_one():
    # A kernel left open gives the service's memory back; the next cell does not notice beyond its time.
    with kernel(SWIFT_KERNEL_COMPILE_SERVICE_IDLE="3") as (km, kc):
        execute(kc, "struct Kept { var v = 4 }")
        service = the_service(km)
        ended(service)
        assert services(km) == [], "no service while idle"
        reply, outputs = execute(kc, "Kept().v * 10")
        assert reply["status"] == "ok" and result_of(outputs) == "40"
        assert the_service(km).pid != service.pid


def test_without_sourcekit_cells_compile_the_old_way():
    # A toolchain without libsourcekitdInProc.so: the service says so once and is not started again.
    with kernel(SWIFT_KERNEL_SOURCEKIT="/nonexistent/libsourcekitdInProc.so") as (km, kc):
        reply, outputs = execute(kc, "struct Kept { var v = 6 }\nKept().v")
        assert reply["status"] == "ok" and result_of(outputs) == "6"
        reply, outputs = execute(kc, "Kept().v * 7")
        assert result_of(outputs) == "42"
        assert services(km) == [], "no service once SourceKit is known to be missing"
