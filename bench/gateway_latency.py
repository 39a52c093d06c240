#!/usr/bin/env python3
"""The swift kernel through Jupyter Kernel Gateway, side by side with the same kernel through jupyter_client, in
one run, and ipykernel through the same two paths.

Measures (1) start-up: through the gateway, from POST /api/kernels to the kernel_info_reply over its websocket;
through jupyter_client, from KernelManager.start_kernel to wait_for_ready's kernel_info_reply; and (2) the round
trip of a trivial cell (`1 + 1`): execute_request sent → execute_reply and idle received, p50/p95 over N runs
after one warm-up cell each. The two sides alternate (a start-up through one, then the other; a cell through one,
then the other, all kernels running), so the machine's drift touches both alike. The gateway runs on 127.0.0.1
with an auth token; its own start-up is not counted.

usage: bench/gateway_latency.py [--runs 30] [--starts 5]
The kernel is the release build's kernelspec (SWIFT_KERNEL_BIN), installed into a private Jupyter path; ipykernel's
is the venv's."""
import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402,F401  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from gateway_client import GatewayKernel, free_port, wait_until_serving  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "bench"))
from kernel_client import run_cell, percentile  # noqa: E402
# ipykernel's spec lives in the venv: keep it findable next to ours (for the gateway too, started after this).
os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")


def start_gateway():
    token, port = secrets.token_hex(16), free_port()
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "jupyter-kernelgateway"), "--KernelGatewayApp.ip=127.0.0.1",
         f"--KernelGatewayApp.port={port}", f"--KernelGatewayApp.auth_token={token}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base, token, process)
    return base, token, process


def gateway_start_up(base, token, name):
    started = time.perf_counter()
    kernel = GatewayKernel(base, token, name=name)
    msg_id = kernel.send("kernel_info_request", {})
    while kernel.next(msg_id, timeout=120)["msg_type"] != "kernel_info_reply":
        pass
    return kernel, time.perf_counter() - started


def client_start_up(name):
    started = time.perf_counter()
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return (km, kc), time.perf_counter() - started


def gateway_cell(kernel):
    started = time.perf_counter()
    reply, _ = kernel.execute("1 + 1")
    assert reply["status"] == "ok", reply
    return time.perf_counter() - started


def stop(side, handle):
    if side == "gateway":
        handle.delete()
    else:
        km, kc = handle
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    base, token, gateway = start_gateway()
    # ipykernel through the same two paths: what the gateway's hop costs any kernel.
    paths = [(side, name) for name in ("swift", "python3") for side in ("gateway", "client")]
    start = {"gateway": lambda name: gateway_start_up(base, token, name), "client": client_start_up}
    cell = {"gateway": gateway_cell, "client": lambda handle: run_cell(handle[1], "1 + 1")[0]}
    starts = {path: [] for path in paths}
    cells = {path: [] for path in paths}
    try:
        for _ in range(args.starts):
            for side, name in paths:
                handle, seconds = start[side](name)
                starts[side, name].append(seconds)
                stop(side, handle)
        handles = {(side, name): start[side](name)[0] for side, name in paths}
        for path, handle in handles.items():
            cell[path[0]](handle)  # warm-up: the first cell pays one-time costs
        for _ in range(args.runs):
            for path, handle in handles.items():
                cells[path].append(cell[path[0]](handle))
        for path, handle in handles.items():
            stop(path[0], handle)
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
    print(f"kernels through Kernel Gateway (127.0.0.1, REST + websocket) and through jupyter_client (ZeroMQ): "
          f"{args.starts} start-ups, {args.runs} cells `1 + 1` each, alternating")
    print(f"{'kernel':<10} {'path':<16} {'start-up median':>16} {'cell p50':>10} {'cell p95':>10}")
    for side, name in paths:
        print(f"{'swift' if name == 'swift' else 'ipykernel':<10} "
              f"{'Kernel Gateway' if side == 'gateway' else 'jupyter_client':<16} "
              f"{statistics.median(starts[side, name]) * 1000:>13.0f} ms "
              f"{percentile(cells[side, name], .5) * 1000:>7.1f} ms {percentile(cells[side, name], .95) * 1000:>7.1f} ms")
    for name in ("swift", "python3"):
        g, c = ("gateway", name), ("client", name)
        print(f"{'swift' if name == 'swift' else 'ipykernel'}: gateway/jupyter_client start-up "
              f"{statistics.median(starts[g]) / statistics.median(starts[c]):.2f}x, cell p50 "
              f"{percentile(cells[g], .5) / percentile(cells[c], .5):.2f}x "
              f"(+{(percentile(cells[g], .5) - percentile(cells[c], .5)) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
