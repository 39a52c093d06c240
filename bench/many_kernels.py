#!/usr/bin/env python3
"""Many kernels on one machine, as a JupyterHub-style server runs one per open notebook, side by side with
ipykernel in the same run (jupyter_client, this machine's /proc).

For each kernel (Swift, then ipykernel, then again in the other order for --rounds > 1):
1. start N kernels at once (one thread each: launch -> first kernel_info_reply), and count failures;
2. run a cell in each (`1 + 1`) and ask each for a completion (the Swift kernel's SourceKit server starts
   for it; a person's notebook has one running after the first Tab);
3. leave them idle for --idle seconds, then read every process of every kernel (the kernel, its executor,
   its completion server, its compile service): resident memory (RSS, which counts shared libraries once per process) and
   proportional memory (PSS, which shares them out: what the machine really spends), and their CPU
   seconds over the idle window.
Targets (issue 22): no failures; idle memory per kernel at most 3x ipykernel's; idle CPU as today (the
kernel process 0.010 s per 10 s in bench/idle.py).

usage: bench/many_kernels.py [--kernels 8] [--idle 10] [--rounds 1]"""
import argparse, os, statistics, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import KernelManager  # noqa: E402
from kernel_client import children, run_cell, percentile, cpu_seconds  # noqa: E402

os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")


def memory_kb(pid):
    """(RSS, PSS) in kB, from smaps_rollup."""
    values = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    return values["Rss:"], values["Pss:"]


def name_of(pid):
    arguments = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
    roles = (b"executor", b"sourcekit", b"compile-service")
    role = arguments[1].decode() if len(arguments) > 1 and arguments[1] in roles else "kernel"
    return role


def processes(kernel_pid):
    """The kernel and everything it started, by role."""
    found = {"kernel": [kernel_pid]}
    pending = children(kernel_pid)
    while pending:
        pid = pending.pop()
        try:
            found.setdefault(name_of(pid), []).append(pid)
            pending += children(pid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def start_one(name, results, index):
    km = KernelManager(kernel_name=name)
    started = time.perf_counter()
    try:
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        results[index] = (km, kc, time.perf_counter() - started, None)
    except Exception as error:  # noqa: BLE001  a failure is a figure here
        results[index] = (km, None, time.perf_counter() - started, error)


def complete(kc, code):
    msg_id = kc.complete(code, len(code))
    while True:
        msg = kc.get_shell_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def measure(name, count, idle_seconds):
    results = [None] * count
    threads = [threading.Thread(target=start_one, args=(name, results, i)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [str(error) for _, _, _, error in results if error is not None]
    running = [(km, kc) for km, kc, _, error in results if error is None]
    try:
        cell_failures = 0
        for km, kc in running:
            try:
                run_cell(kc, "1 + 1", timeout=120)
                complete(kc, "let someNumber = 1\nsomeN")
            except Exception as error:  # noqa: BLE001
                cell_failures += 1
                failures.append(f"cell: {error}")
        time.sleep(2)  # the completion servers finish starting
        watched = [processes(km.provisioner.process.pid) for km, _ in running]
        before = [{role: [cpu_seconds(p) for p in pids] for role, pids in kernel.items()} for kernel in watched]
        time.sleep(idle_seconds)
        per_kernel = []
        for kernel, cpu_before in zip(watched, before):
            figures = {}
            for role, pids in kernel.items():
                rss = pss = cpu = 0
                for pid, earlier in zip(pids, cpu_before[role]):
                    r, p = memory_kb(pid)
                    rss, pss, cpu = rss + r, pss + p, cpu + cpu_seconds(pid) - earlier
                figures[role] = (rss, pss, cpu)
            per_kernel.append(figures)
        return [elapsed for _, _, elapsed, error in results if error is None], failures, per_kernel
    finally:
        for km, kc in running:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def summarise(label, starts, failures, per_kernel, idle_seconds):
    roles = sorted({role for kernel in per_kernel for role in kernel}, key=["kernel", "executor", "sourcekit", "compile-service"].index)
    total_rss = [sum(f[0] for f in k.values()) / 1024 for k in per_kernel]
    total_pss = [sum(f[1] for f in k.values()) / 1024 for k in per_kernel]
    total_cpu = [sum(f[2] for f in k.values()) for k in per_kernel]
    print(f"{label}: {len(starts)} started, {len(failures)} failures" + (f" ({failures[:3]})" if failures else ""))
    print(f"  start-up p50 {statistics.median(starts):.2f} s, p95 {percentile(starts, 0.95):.2f} s")
    for role in roles:
        rss = statistics.median(k[role][0] / 1024 for k in per_kernel if role in k)
        pss = statistics.median(k[role][1] / 1024 for k in per_kernel if role in k)
        cpu = statistics.median(k[role][2] for k in per_kernel if role in k)
        print(f"  {role:9s} RSS {rss:7.1f} MB  PSS {pss:7.1f} MB  idle CPU {cpu:.3f} s / {idle_seconds} s")
    print(f"  per kernel: RSS {statistics.median(total_rss):.1f} MB, PSS {statistics.median(total_pss):.1f} MB, "
          f"idle CPU {statistics.median(total_cpu):.3f} s / {idle_seconds} s (medians)")
    return statistics.median(total_rss), statistics.median(total_pss), statistics.median(total_cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", type=int, default=8)
    parser.add_argument("--idle", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    print(f"{args.kernels} kernels at once, {os.cpu_count()} cores, idle {args.idle} s")
    figures = {"swift": [], "python3": []}
    for round_index in range(args.rounds):
        order = ["swift", "python3"] if round_index % 2 == 0 else ["python3", "swift"]
        for name in order:
            starts, failures, per_kernel = measure(name, args.kernels, args.idle)
            label = "Swift kernel" if name == "swift" else "ipykernel"
            figures[name].append(summarise(f"{label} (round {round_index + 1})", starts, failures, per_kernel, args.idle)
                                 + (len(failures),))
    swift = [statistics.median(f[i] for f in figures["swift"]) for i in range(4)]
    python = [statistics.median(f[i] for f in figures["python3"]) for i in range(4)]
    print(f"memory per idle kernel, Swift / ipykernel: RSS {swift[0] / python[0]:.2f}x, PSS {swift[1] / python[1]:.2f}x "
          f"(target <= 3x); failures {int(swift[3])} and {int(python[3])} (target 0)")


if __name__ == "__main__":
    main()
