#!/usr/bin/env python3
"""Kernel latency, side by side with ipykernel in the same run (jupyter_client).

Measures (1) start-up: from launching the kernel to its first kernel_info_reply, and
(2) the round trip of a trivial cell (`1 + 1`): execute_request sent → execute_reply and
idle received, p50/p95 over 30 runs after one warm-up cell, and (3) fresh cells no cache can answer:
`N + 1` with a new N each time, and a cell that declares a new struct and a function.
Beside each Swift round it times the compiler's own floor, a bare `swift-frontend -frontend -c
-parse-as-library` of an empty file, alternating so the machine's drift touches all alike; and the same
fresh cells on a second Swift kernel without the compile service (SWIFT_KERNEL_COMPILE_SERVICE=off: each
cell spawns swift-frontend), taken in turn with the first.
Targets: Swift trivial cell p50 <= 150 ms, start-up <= 1 s (issue 2); trivial cell p50 <= 2.0x the bare
frontend's (issue 11); a fresh trivial cell <= 1.0x the bare frontend, a fresh declaring cell <= 1.25x
(issue 20).

With --debugger: the cost of JupyterLab's debugger instead. Fresh cells (`N + 1`) on three kernels started
side by side and taken in turn (each round starting with the next one), so drift touches all alike: the build before the debugger (--before, a
release build's swift-kernel with its runtime beside it), this build with the debugger not started, and this
build with lldb-dap attached (initialize + attach through debug_request, as JupyterLab sends them). Target:
debugger off costs what the build before did, within noise.

usage: bench/kernel_latency.py [--runs 30] [--starts 5]
       bench/kernel_latency.py --debugger [--before PATH/swift-kernel] [--runs 30]
The Swift kernel is the release build's kernelspec, installed into a private Jupyter path."""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import KernelManager  # noqa: E402
from kernel_client import children, run_cell, percentile  # noqa: E402

# ipykernel's spec lives in the venv: keep it findable next to ours.
os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")


def start_up(name, env=None):
    km = KernelManager(kernel_name=name)
    started = time.perf_counter()
    km.start_kernel(env=dict(os.environ, **(env or {})))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)  # sends kernel_info_request until a reply comes
    elapsed = time.perf_counter() - started
    return km, kc, elapsed


def round_trip(kc, code):
    return run_cell(kc, code, timeout=60)[0]


SERVICE_OFF = {"SWIFT_KERNEL_COMPILE_SERVICE": "off"}


def declaring(n):
    return f"struct Point{n} {{ var x = {n}; var y = 2 }}\nfunc norm{n}(_ p: Point{n}) -> Int {{ p.x * p.x + p.y * p.y }}"


def measure(name, runs, starts):
    startups = []
    for _ in range(starts):
        km, kc, elapsed = start_up(name)
        startups.append(elapsed)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc, _ = start_up(name)
    round_trip(kc, "1 + 1")  # warm-up: the first cell pays one-time costs (module cache, page cache)
    trips, fresh, declared, floors = [], [], [], []
    off_fresh, off_declared = [], []
    if name == "swift":
        off_km, off_kc, _ = start_up(name, SERVICE_OFF)
        round_trip(off_kc, "1 + 1")
    for i in range(runs):
        trips.append(round_trip(kc, "1 + 1"))
        if name != "swift":
            fresh.append(round_trip(kc, f"{i + 2} + 1"))
            continue
        # The service and the spawned frontend in turn, each round starting with the other.
        sides = [(kc, fresh, declared, 0), (off_kc, off_fresh, off_declared, 100_000)]
        for client, fresh_times, declared_times, offset in (sides if i % 2 == 0 else sides[::-1]):
            fresh_times.append(round_trip(client, f"{i + 2 + offset} + 1"))
            declared_times.append(round_trip(client, declaring(i + offset)))
        floors.append(bare_frontend())
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    if name == "swift":
        off_kc.stop_channels()
        off_km.shutdown_kernel(now=True)
    return startups, trips, fresh, floors, declared, off_fresh, off_declared


EMPTY = os.path.join(tempfile.mkdtemp(prefix="swift-kernel-bench-"), "empty.swift")
open(EMPTY, "w").close()


def bare_frontend():
    """One bare compile of an empty file: the least any cell's compile can cost."""
    frontend = shutil.which("swift-frontend") or "/opt/swift/usr/bin/swift-frontend"
    started = time.perf_counter()
    subprocess.run([frontend, "-frontend", "-c", "-parse-as-library", EMPTY, "-o", EMPTY[:-len(".swift")] + ".o"], check=True)
    return time.perf_counter() - started


def debug_request(kc, seq, command, arguments):
    """A debug_request on control, answered by its debug_reply; returns the DAP response."""
    msg = kc.session.msg("debug_request", {"type": "request", "seq": seq, "command": command, "arguments": arguments})
    kc.control_channel.send(msg)
    while True:
        reply = kc.get_control_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
            if not reply["content"].get("success"):
                raise RuntimeError(f"{command}: {reply['content'].get('message')}")
            return reply["content"]


def debugger_cost(runs, before):
    names = []
    if before:
        prefix = tempfile.mkdtemp(prefix="swift-kernel-before-")
        subprocess.run([before, "install", "--prefix", prefix, "--name", "swift-before"], check=True,
                       stdout=subprocess.DEVNULL)
        os.environ["JUPYTER_PATH"] = os.path.join(prefix, "share", "jupyter") + os.pathsep + os.environ["JUPYTER_PATH"]
        names.append(("before", "swift-before"))
    names += [("debugger off", "swift"), ("attached", "swift")]
    kernels = {}
    for label, name in names:
        km, kc, _ = start_up(name)
        kernels[label] = (km, kc)
    km, kc = kernels["attached"]
    round_trip(kc, "0 + 1")
    started = time.perf_counter()
    debug_request(kc, 1, "initialize", {"clientID": "bench", "adapterID": "swift", "pathFormat": "path",
                                        "linesStartAt1": True, "columnsStartAt1": True})
    debug_request(kc, 2, "attach", {})
    attach = time.perf_counter() - started
    times = {label: [] for label, _ in names}
    for _, (km, kc) in kernels.items():
        round_trip(kc, "1 + 1")  # warm-up
    for i in range(runs):
        # Each round starts with another kernel: none always follows the same one.
        for label, _ in names[i % len(names):] + names[:i % len(names)]:
            times[label].append(round_trip(kernels[label][1], f"{i + 2} + 1"))
    adapter_rss = 0
    for pid in children(kernels["attached"][0].provisioner.process.pid):
        try:
            if open(f"/proc/{pid}/comm").read().strip() == "lldb-dap":
                adapter_rss = rss_mb(pid) + sum(rss_mb(child) for child in children(pid))
        except FileNotFoundError:
            pass
    debug_request(kernels["attached"][1], 3, "disconnect", {"restart": False, "terminateDebuggee": False})
    for km, kc in kernels.values():
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(f"debugger cost ({runs} fresh cells `N + 1` per kernel, the kernels taken in turn)")
    print(f"{'kernel':<14} {'fresh p50':>10} {'fresh p95':>10}")
    for label, _ in names:
        print(f"{label:<14} {percentile(times[label], .5) * 1000:>7.1f} ms {percentile(times[label], .95) * 1000:>7.1f} ms")
    off = percentile(times["debugger off"], .5)
    if before:
        print(f"debugger off / before: {off / percentile(times['before'], .5):.2f}x (target: 1.0x within noise)")
    print(f"attached / debugger off: {percentile(times['attached'], .5) / off:.2f}x; "
          f"initialize + attach took {attach * 1000:.0f} ms; lldb-dap and its children's resident memory: "
          f"{adapter_rss:.0f} MB")


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--debugger", action="store_true", help="the debugger's cost instead")
    parser.add_argument("--before", help="with --debugger: the swift-kernel binary of the build before")
    args = parser.parse_args()
    if args.debugger:
        debugger_cost(args.runs, args.before)
        return
    results = {}
    for name in ("swift", "python3"):
        results[name] = measure(name, args.runs, args.starts)
    print(f"kernel latency ({args.runs} trivial cells `1 + 1`, {args.starts} start-ups each)")
    print("(`1 + 1` again and again; a fresh cell `N + 1` with a new N each time, which no cache can answer)")
    print(f"{'kernel':<10} {'start-up median':>16} {'cell p50':>10} {'cell p95':>10} {'fresh p50':>10} {'fresh p95':>10}")
    for name, (startups, trips, fresh, *_) in results.items():
        label = "swift" if name == "swift" else "ipykernel"
        print(f"{label:<10} {statistics.median(startups) * 1000:>13.0f} ms {percentile(trips, .5) * 1000:>7.1f} ms "
              f"{percentile(trips, .95) * 1000:>7.1f} ms {percentile(fresh, .5) * 1000:>7.1f} ms "
              f"{percentile(fresh, .95) * 1000:>7.1f} ms")
    s, p = results["swift"], results["python3"]
    print(f"ratio swift/ipykernel: start-up {statistics.median(s[0]) / statistics.median(p[0]):.2f}x, "
          f"cell p50 {percentile(s[1], .5) / percentile(p[1], .5):.1f}x")
    floor = percentile(s[3], .5)
    ratio = percentile(s[1], .5) / floor
    print(f"bare swift-frontend of an empty file, alternating with the cells: p50 {floor * 1000:.1f} ms; "
          f"trivial cell / bare frontend: {ratio:.2f}x; fresh cell / bare frontend: "
          f"{percentile(s[2], .5) / floor:.2f}x")
    fresh_ratio = percentile(s[2], .5) / floor
    declared_ratio = percentile(s[4], .5) / floor
    print(f"fresh cells, p50 (p95) ms: {'':14} {'N + 1':>16} {'struct + func':>16}")
    print(f"  compile service               {percentile(s[2], .5) * 1000:>7.1f} ({percentile(s[2], .95) * 1000:5.1f}) "
          f"{percentile(s[4], .5) * 1000:>7.1f} ({percentile(s[4], .95) * 1000:5.1f})")
    print(f"  spawned swift-frontend (off)  {percentile(s[5], .5) * 1000:>7.1f} ({percentile(s[5], .95) * 1000:5.1f}) "
          f"{percentile(s[6], .5) * 1000:>7.1f} ({percentile(s[6], .95) * 1000:5.1f})")
    print(f"  / bare frontend: service {fresh_ratio:.2f}x and {declared_ratio:.2f}x; "
          f"spawned {percentile(s[5], .5) / floor:.2f}x and {percentile(s[6], .5) / floor:.2f}x")
    # Each round's cells against that round's bare frontend: drift between rounds cancels out.
    paired = [statistics.median(a / f for a, f in zip(times, s[3])) for times in (s[2], s[4], s[5], s[6])]
    print(f"  the same, as the median of each round's ratio: service {paired[0]:.2f}x and {paired[1]:.2f}x; "
          f"spawned {paired[2]:.2f}x and {paired[3]:.2f}x")
    print(f"targets: cell p50 <= 150 ms: {'met' if percentile(s[2], .5) <= 0.150 else 'NOT met'} (fresh cells); "
          f"start-up <= 1 s: {'met' if statistics.median(s[0]) <= 1.0 else 'NOT met'}; "
          f"trivial cell <= 2.0x bare frontend: {'met' if ratio <= 2.0 else 'NOT met'}; "
          f"fresh trivial cell <= 1.0x: {'met' if fresh_ratio <= 1.0 else 'NOT met'} ({fresh_ratio:.2f}x); "
          f"fresh declaring cell <= 1.25x: {'met' if declared_ratio <= 1.25 else 'NOT met'} ({declared_ratio:.2f}x)")


if __name__ == "__main__":
    main()
