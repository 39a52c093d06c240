"""The kernel through a real Jupyter Enterprise Gateway (PyPI's jupyter_enterprise_gateway, in its own venv
.venv-eg for its pinned jupyter_client 6 and pyzmq 24), launched by deploy/enterprise_gateway/launch_swift_kernel.py
under the DistributedProcessProxy on "another host" that is this one (EG_REMOTE_HOSTS=localhost: no ssh). Cells,
an interrupt (an interrupt_request, the kernelspec's interrupt_mode), and a shutdown that leaves no launcher,
kernel or executor behind."""
import os
import random
import re
import secrets
import socket
import struct
import subprocess
import sys

import psutil
import pytest

from conftest import BINARY, ROOT
from gateway_client import GatewayKernel, descendants, free_port, http, result_of, serving, text_of, wait_gone

EG_BIN = os.path.join(ROOT, ".venv-eg", "bin")
DEPLOY = os.path.join(ROOT, "deploy", "enterprise_gateway")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    if not os.path.exists(os.path.join(EG_BIN, "jupyter-enterprisegateway")):
        pytest.fail("Enterprise Gateway is not installed: ./scripts/setup.sh --tests makes .venv-eg")
    work = tmp_path_factory.mktemp("eg")
    prefix = work / "prefix"
    subprocess.run([os.path.join(EG_BIN, "python"), os.path.join(DEPLOY, "install_kernelspec.py"),
                    "--swift-kernel", BINARY, "--python", os.path.join(EG_BIN, "python"), "--prefix", str(prefix)],
                   check=True)
    token, port = secrets.token_hex(16), free_port()
    low = random.randrange(20000, 30000)
    env = dict(os.environ,
               JUPYTER_PATH=str(prefix / "share" / "jupyter"),
               EG_REMOTE_HOSTS="localhost",
               # The launcher's ports: EG requires a range of at least 1000.
               EG_PORT_RANGE=f"{low}..{low + 1000}",
               EG_RESPONSE_PORT=str(free_port()),
               # EG refuses kernels for root by default; CI runs as root.
               EG_UNAUTHORIZED_USERS="nobody-in-particular",
               EG_KERNEL_LOG_DIR=str(work),
               EG_KERNEL_LAUNCH_TIMEOUT="120",
               # Listing kernels is off by default; the tests list them to see that none is left.
               EG_LIST_KERNELS="True")
    env.pop("JPY_PARENT_PID", None)
    log = open(work / "enterprisegateway.log", "w+")
    process = subprocess.Popen(
        [os.path.join(EG_BIN, "jupyter-enterprisegateway"), "--ip=127.0.0.1", f"--port={port}",
         "--port_retries=0", f"--EnterpriseGatewayApp.auth_token={token}"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(work))
    base = f"http://127.0.0.1:{port}"
    kernel_logs = lambda: sorted(work.glob("kernel-*.log"))  # noqa: E731
    with serving(process, base, token, log, "Enterprise Gateway", tail=8000, extra_logs=kernel_logs):
        yield base, token, process, work


def test_a_request_without_the_token_is_refused(gateway):
    base, token, _, _ = gateway
    assert http("GET", f"{base}/api/kernels")[0] in (401, 403)
    assert http("GET", f"{base}/api/kernels", token)[0] == 200


def test_cells_an_interrupt_and_a_clean_shutdown_through_the_launcher(gateway):
    base, token, process, work = gateway
    kernel = GatewayKernel(base, token, name="swift_distributed")
    try:
        reply, outputs = kernel.execute("let answer = 6 * 7\nanswer")
        assert reply["status"] == "ok" and result_of(outputs) == "42", outputs
        processes = descendants(process.pid)  # the launcher, the kernel, its executor
        assert len(processes) >= 3, processes

        reply, outputs = kernel.execute('print("from", "the launcher")\nanswer + 1')
        assert text_of(outputs) == "from the launcher\n" and result_of(outputs) == "43"

        msg_id = kernel.send("execute_request", {"code": 'print("spinning")\nwhile true {}', "silent": False,
                                                 "store_history": True, "user_expressions": {},
                                                 "allow_stdin": False, "stop_on_error": True})
        while kernel.next(msg_id)["msg_type"] != "stream":  # the cell runs once its first output arrives
            pass
        assert kernel.interrupt() == 204
        reply, _ = kernel.finish(msg_id, timeout=60)
        assert reply["status"] == "error" and reply["ename"] == "Interrupted", reply
        reply, outputs = kernel.execute("answer")
        assert result_of(outputs) == "42"

        # EG gives up on a request to the launcher's communication port after 5 ms (EG_SOCKET_TIMEOUT) and drops
        # the connection; a connection reset there must not end the launcher, nor so the kernel.
        said = open(work / f"kernel-{kernel.id}.log").read()
        comm_port = int(re.search(r"communication port (\d+)", said).group(1))
        with socket.create_connection(("127.0.0.1", comm_port)) as rude:
            rude.send(b'{"sig')
            rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        reply, outputs = kernel.execute("answer + 2")
        assert result_of(outputs) == "44"
        assert "a request's connection failed" in open(work / f"kernel-{kernel.id}.log").read()
    finally:
        assert kernel.delete() == 204
    assert not wait_gone(processes), "the launcher, kernel or executor outlived DELETE"
    assert http("GET", f"{base}/api/kernels", token)[1] == []


def test_a_kernel_does_not_outlive_its_launcher(gateway):
    """The launcher starts the kernel with itself as JPY_PARENT_PID (EG's own pid, which EG sets, is not the kernel's
    parent, and the kernel ignores it): a launcher killed outright takes its kernel and executor with it."""
    base, token, process, work = gateway
    kernel = GatewayKernel(base, token, name="swift_distributed")
    try:
        reply, outputs = kernel.execute("1 + 1")
        assert result_of(outputs) == "2"
        launchers = [p for p in psutil.Process(process.pid).children()
                     if any("launch_swift_kernel.py" in part for part in p.cmdline())]
        assert len(launchers) == 1, launchers
        processes = descendants(launchers[0].pid)  # the kernel and its executor
        assert len(processes) >= 2, processes
        launchers[0].kill()
        assert not wait_gone(processes), "the kernel outlived its launcher"
    finally:
        kernel.delete()
    assert not wait_gone(descendants(process.pid))
