"""CurveZMQ transport encryption with jupyter_client's `transport_encryption` (issue 13 item 4)."""
import json
import os
import subprocess
import tempfile
import time

import pytest
import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from conftest import BINARY
from kernel_helpers import KERNEL, execute, result_of


def test_the_kernelspec_declares_curve():
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    assert "curve" in spec.metadata.get("supported_encryption", [])


@pytest.fixture(scope="module")
def encrypted():
    km, kc = start_new_kernel(kernel_name=KERNEL, startup_timeout=60, transport_encryption="required")
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_the_connection_carries_keys(encrypted):
    km, _ = encrypted
    info = km.get_connection_info()
    assert info.get("curve_publickey") and info.get("curve_secretkey")


def test_execute_stdin_interrupt_and_heartbeat_work_encrypted(encrypted):
    km, kc = encrypted
    reply, outputs = execute(kc, "let secret = 6 * 7\nsecret")
    assert reply["status"] == "ok" and result_of(outputs) == "42"
    # stdin: an input request answered over the encrypted stdin channel.
    msg_id = kc.execute("let typed = readLine() ?? \"none\"\ntyped", allow_stdin=True)
    request = kc.get_stdin_msg(timeout=60)
    assert request["msg_type"] == "input_request"
    kc.input("through curve")
    reply = kc.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
    # interrupt (message mode: on the encrypted control channel) of a cell that never checks.
    msg_id = kc.execute("while true {}")
    time.sleep(1)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["ename"] == "Interrupted"
    assert kc.hb_channel.is_beating()
    reply, outputs = execute(kc, "secret + 1")
    assert result_of(outputs) == "43"


def test_a_client_without_the_keys_gets_no_answer(encrypted):
    km, _ = encrypted
    info = km.get_connection_info()
    plain_info = {k: v for k, v in info.items() if not k.startswith("curve_")}
    plain = BlockingKernelClient()
    plain.load_connection_info(plain_info)
    plain.start_channels()
    try:
        plain.kernel_info()
        with pytest.raises(Exception):
            plain.get_shell_msg(timeout=3)
    finally:
        plain.stop_channels()
    # Nor does the heartbeat echo for a plain socket.
    context = zmq.Context.instance()
    socket = context.socket(zmq.REQ)
    socket.linger = 0
    socket.connect(f"tcp://{info['ip']}:{info['hb_port']}")
    socket.send(b"ping")
    assert socket.poll(2000) == 0
    socket.close()


def _connection_file(directory, **extra):
    ports = []
    for _ in range(5):
        s = zmq.Context.instance().socket(zmq.REP)
        ports.append(s.bind_to_random_port("tcp://127.0.0.1"))
        s.close()
    info = {"transport": "tcp", "ip": "127.0.0.1", "shell_port": ports[0], "iopub_port": ports[1],
            "stdin_port": ports[2], "control_port": ports[3], "hb_port": ports[4], "key": "k",
            "signature_scheme": "hmac-sha256", **extra}
    path = os.path.join(directory, "connection.json")
    with open(path, "w") as f:
        json.dump(info, f)
    return path


def test_a_libzmq_without_curve_refuses_keys_and_says_why(tmp_path):
    # A stand-in for a libzmq built without CURVE: zmq_has("curve") answers 0.
    shim = tmp_path / "nocurve.c"
    shim.write_text('int zmq_has(const char *capability) { (void)capability; return 0; }\n')
    library = tmp_path / "libnocurve.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(library), str(shim)], check=True)
    public, secret = zmq.curve_keypair()
    path = _connection_file(str(tmp_path), curve_publickey=public.decode(), curve_secretkey=secret.decode())
    env = {**os.environ, "LD_PRELOAD": str(library)}
    result = subprocess.run([BINARY, "kernel", "--connection-file", path], env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode != 0
    assert "CURVE" in result.stderr and "transport encryption" in result.stderr, result.stderr


def test_a_damaged_key_is_a_clear_error(tmp_path):
    path = _connection_file(str(tmp_path), curve_publickey="short", curve_secretkey="short")
    result = subprocess.run([BINARY, "kernel", "--connection-file", path], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0 and "40-character Z85" in result.stderr, result.stderr
