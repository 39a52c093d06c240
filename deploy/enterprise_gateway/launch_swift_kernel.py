#!/usr/bin/env python3
"""Enterprise Gateway's kernel launcher for swift-kernel (the contract of EG's own launch_ipykernel.py).

Enterprise Gateway runs this on the kernel's host with `--RemoteProcessProxy.kernel-id`, `response-address`,
`public-key` and `port-range`. It picks the kernel's five ports and a communication port in the range, writes the
connection file, starts `swift-kernel kernel` on it, and sends the connection info (with `pid`, `pgid`,
`comm_port` and `kernel_id`) to the response address, AES-encrypted with a key RSA-encrypted to the public key.
Then it relays what arrives on the communication port: `{"signum": n}` becomes signal n to the kernel (0 is
Enterprise Gateway's liveness poll), `{"shutdown": 1}` ends the launcher once the kernel has stopped. It also ends
when the kernel ends, so that a dead kernel is seen as dead (the poll's connection is refused), and it takes its
kernel and executor with it.

Needs Python 3.8+ and pycryptodomex (what Enterprise Gateway itself uses); nothing else, not even jupyter_client.

usage: launch_swift_kernel.py --swift-kernel PATH [--ip 0.0.0.0] --RemoteProcessProxy.kernel-id ID
         --RemoteProcessProxy.response-address HOST:PORT --RemoteProcessProxy.public-key KEY
         [--RemoteProcessProxy.port-range LOW..HIGH] [--RemoteProcessProxy.spark-context-initialization-mode none]
"""
import argparse
import base64
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import uuid

from Cryptodome.Cipher import AES, PKCS1_v1_5
from Cryptodome.PublicKey import RSA
from Cryptodome.Random import get_random_bytes
from Cryptodome.Util.Padding import pad

LAUNCHER_VERSION = 1  # the payload's version, as Enterprise Gateway's own launchers send it
MIN_PORT_RANGE_SIZE = int(os.getenv("MIN_PORT_RANGE_SIZE", os.getenv("EG_MIN_PORT_RANGE_SIZE", "1000")))
MAX_PORT_RANGE_RETRIES = int(os.getenv("MAX_PORT_RANGE_RETRIES", os.getenv("EG_MAX_PORT_RANGE_RETRIES", "5")))
# How long a kernel asked to shut down may take before it is killed (it stops in well under a second).
SHUTDOWN_GRACE = 10

logging.basicConfig(format="[%(levelname)1.1s %(asctime)s launch_swift_kernel] %(message)s",
                    level=os.getenv("EG_LOG_LEVEL", "INFO") if not os.getenv("EG_LOG_LEVEL", "").isdigit()
                    else int(os.getenv("EG_LOG_LEVEL")))
log = logging.getLogger("launch_swift_kernel")


def port_range(text):
    """(low, high) from 'LOW..HIGH'; (0, 0) means any port. A range must span MIN_PORT_RANGE_SIZE ports."""
    if not text:
        return 0, 0
    try:
        low, high = (int(part) for part in text.split(".."))
    except ValueError:
        raise SystemExit(f"port range '{text}' is not LOW..HIGH") from None
    if high - low != 0 and high - low < MIN_PORT_RANGE_SIZE:
        raise SystemExit(f"port range '{text}' spans fewer than {MIN_PORT_RANGE_SIZE} ports (EG_MIN_PORT_RANGE_SIZE)")
    return low, high


def bound_socket(low, high):
    """A TCP socket bound on every interface to a free port in [low, high] (any port when the range is 0..0)."""
    for _ in range(MAX_PORT_RANGE_RETRIES + 1):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("0.0.0.0", random.randint(low, high) if high > low else 0))
            return sock
        except OSError:
            sock.close()
    raise SystemExit(f"no free port in {low}..{high} after {MAX_PORT_RANGE_RETRIES} retries")


def encrypted(payload, public_key):
    """What Enterprise Gateway's ResponseManager decrypts: base64 of {"version", "key", "conn_info"}."""
    aes_key = get_random_bytes(16)
    conn_info = AES.new(aes_key, AES.MODE_ECB).encrypt(pad(payload, 16))
    rsa = PKCS1_v1_5.new(RSA.importKey(base64.b64decode(public_key.encode())))
    body = {"version": LAUNCHER_VERSION, "key": base64.b64encode(rsa.encrypt(aes_key)).decode(),
            "conn_info": base64.b64encode(conn_info).decode()}
    return base64.b64encode(json.dumps(body).encode())


def send_connection_info(address, info, public_key):
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(encrypted(json.dumps(info).encode(), public_key))


def request_from(comm):
    """The JSON request of one connection to the communication port, or None when none came within its timeout."""
    try:
        conn, _ = comm.accept()
    except socket.timeout:
        return None
    data = b""
    # Enterprise Gateway gives up on a request after EG_SOCKET_TIMEOUT (5 ms by default) and closes or resets
    # the connection: what arrived counts, and a reset never ends the launcher (and so the kernel).
    with conn:
        try:
            conn.settimeout(5)
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError as error:
            log.warning("a request's connection failed (%s); %d bytes read", error, len(data))
    try:
        return json.loads(data.decode()) if data else None
    except ValueError:
        log.warning("ignored a request that is not JSON: %r", data[:200])
        return None


def stop(kernel):
    """Ends the kernel's process group (the kernel and its executor, compiler and completion server): SIGTERM,
    SIGKILL for what is left after SHUTDOWN_GRACE. The group outlives a kernel that already ended while one of
    its children lives, so it is ended either way."""
    if kernel.poll() is None:
        try:
            os.killpg(kernel.pid, signal.SIGTERM)
            kernel.wait(timeout=SHUTDOWN_GRACE)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(kernel.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    kernel.wait()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swift-kernel", required=True, help="the swift-kernel binary")
    parser.add_argument("--ip", default="0.0.0.0",
                        help="the address the kernel binds (Enterprise Gateway connects to the host it chose)")
    for name in ("kernel-id", "response-address", "public-key", "port-range",
                 "spark-context-initialization-mode", "cluster-type"):
        dest = name.replace("-", "_")
        parser.add_argument(f"--RemoteProcessProxy.{name}", f"--{name}", dest=dest)
    args = parser.parse_args(argv)
    if not args.kernel_id or not args.public_key:
        raise SystemExit("--RemoteProcessProxy.kernel-id and --RemoteProcessProxy.public-key are required")
    low, high = port_range(args.port_range)

    # The five kernel ports: found free now, released, and bound again by the kernel a moment later.
    probes = [bound_socket(low, high) for _ in range(5)]
    ports = [p.getsockname()[1] for p in probes]
    for probe in probes:
        probe.close()
    key = str(uuid.uuid4())
    fd, connection_file = tempfile.mkstemp(prefix=f"kernel-{args.kernel_id}_", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump({"shell_port": ports[0], "iopub_port": ports[1], "stdin_port": ports[2], "hb_port": ports[3],
                   "control_port": ports[4], "ip": args.ip, "key": key, "transport": "tcp",
                   "signature_scheme": "hmac-sha256", "kernel_name": ""}, f)

    # Its own session (so its group can be ended as one), and this launcher as its JPY_PARENT_PID: the kernel
    # stops if the launcher is killed. (Enterprise Gateway's own pid, which it sets, is not the kernel's parent.)
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
    kernel = subprocess.Popen([args.swift_kernel, "kernel", "--connection-file", connection_file], env=env,
                              start_new_session=True)
    signal.signal(signal.SIGTERM, lambda *_: (stop(kernel), sys.exit(0)))

    comm = bound_socket(low, high)
    comm.listen(1)
    comm.settimeout(1)  # so the loop also sees the kernel end
    info = dict(json.load(open(connection_file)), pid=os.getpid(), pgid=os.getpgid(0),
                comm_port=comm.getsockname()[1], kernel_id=args.kernel_id)
    if args.response_address:
        send_connection_info(args.response_address, info, args.public_key)
    log.info("kernel %s (pid %d) on ports %s, communication port %d", args.kernel_id, kernel.pid, ports,
             info["comm_port"])

    try:
        while kernel.poll() is None:
            request = request_from(comm)
            if not isinstance(request, dict):
                continue
            if isinstance(request.get("signum"), int):
                signum = request["signum"]
                if signum > 0:
                    log.info("signal %d for the kernel", signum)
                    if signum in (signal.SIGTERM, signal.SIGKILL):
                        stop(kernel)  # the whole group, as Enterprise Gateway kills a local kernel's group
                    else:
                        try:
                            os.kill(kernel.pid, signum)  # SIGINT: the kernel interrupts its cell
                        except ProcessLookupError:
                            pass  # it has just ended; the loop sees it
            if request.get("shutdown"):
                log.info("shutdown: waiting for the kernel to stop")
                try:
                    kernel.wait(timeout=SHUTDOWN_GRACE)
                except subprocess.TimeoutExpired:
                    pass
                break
    finally:
        comm.close()
        stop(kernel)
        try:
            os.remove(connection_file)
        except OSError:
            pass
    log.info("kernel %s ended with %s", args.kernel_id, kernel.returncode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
