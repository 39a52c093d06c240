#!/usr/bin/env python3
"""Faults in a row, in one session (jupyter_client): what they cost and whether anything hangs.

1. TRAPS traps in a row (index out of range, nil unwrap, fatalError, overflow, stack overflow, shape
   mismatch, in turn), each in its own cell, with the executor's resident memory before and after: the
   growth per trap. After the run, a cell checks that a value, a function and a model from before the
   first trap are all still there, and that the executor is the same process.
2. INTERRUPTS interrupts at random moments of a cell that prints in a loop (some that check the stop
   request, some that never do), each followed by a working cell. A hang is a reply or an idle that did
   not come within 30 s. Target (issue 10): 0 hangs and deadlocks.

usage: bench/soak.py [--traps 200] [--interrupts 100] [--seed 1]"""
import argparse, os, random, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import start_new_kernel  # noqa: E402
from kernel_client import children  # noqa: E402

TRAPS = [
    "let a = [1, 2, 3]\nprint(a[a.count + 4])",
    "let s: String? = nil\nprint(s!)",
    'fatalError("on purpose")',
    "var big = Int.max\nbig += 1",
    "func down(_ n: Int) -> Int { n == 0 ? 0 : 1 + down(n - 1) }\ndown(1 << 40)",
    "let m = Tensor(zeros: [2, 3]).matmul(Tensor(zeros: [4, 5]))",
]
LOOPS = [
    'var i = 0\nwhile !StopRequest.isRequested { i += 1; if i % 1000 == 0 { print("tick", i) } }',
    'var j = 0\nwhile true { j &+= 1; if j % 5000 == 0 { print("spin", j) } }',
    "var k = 0\nwhile true { k &+= 1 }",
]


def executor_of(km):
    return children(km.provisioner.process.pid)[0]


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait(kc, msg_id, timeout=30):
    """The reply and whether idle came, within `timeout` seconds; None for what did not come."""
    from queue import Empty
    deadline = time.time() + timeout
    reply, idle = None, False
    while time.time() < deadline and not (reply and idle):
        if reply is None:
            try:
                msg = kc.get_shell_msg(timeout=0.05)
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg["content"]
            except Empty:
                pass
        while not idle:  # read all that is there: a printing loop sends a lot
            try:
                msg = kc.get_iopub_msg(timeout=0.05)
            except Empty:
                break
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                    and msg["content"]["execution_state"] == "idle":
                idle = True
    return reply, idle


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--traps", type=int, default=200)
    parser.add_argument("--interrupts", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    km, kc = start_new_kernel(kernel_name="swift", startup_timeout=60)
    try:
        setup = kc.execute("var kept = 41\nfunc one() -> Int { 1 }\nlet model = Linear(outputs: 2)\n"
                           "let y0 = model(Tensor(ones: [1, 3]))")
        wait(kc, setup)
        # Warm-up: the first trap loads the symbolizer and the pages it touches.
        for code in TRAPS:
            wait(kc, kc.execute(code))
        executor = executor_of(km)
        before = rss_mb(executor)
        started = time.time()
        wrong = 0
        for n in range(args.traps):
            reply, idle = wait(kc, kc.execute(TRAPS[n % len(TRAPS)]))
            if not reply or reply.get("ename") != "FatalError" or not idle:
                wrong += 1
        elapsed = time.time() - started
        after = rss_mb(executor)
        reply, _ = wait(kc, kc.execute("kept + one() == 42 && model(Tensor(ones: [1, 3])).scalars == y0.scalars"))
        same = executor_of(km) == executor
        print(f"{args.traps} traps in {elapsed:.1f} s ({1000 * elapsed / args.traps:.0f} ms each): executor RSS "
              f"{before:.1f} MB -> {after:.1f} MB, {1024 * (after - before) / args.traps:.1f} KB per trap; "
              f"{wrong} not answered as FatalError; state kept: {reply and reply['status'] == 'ok'}; "
              f"same executor process: {same}", flush=True)

        hangs, working_failed, restarts = 0, 0, 0
        executor = executor_of(km)
        started = time.time()
        for n in range(args.interrupts):
            msg_id = kc.execute(LOOPS[n % len(LOOPS)])
            time.sleep(rng.uniform(0.05, 1.5))
            km.interrupt_kernel()
            reply, idle = wait(kc, msg_id)
            if reply is None or not idle:
                hangs += 1
                continue
            reply, idle = wait(kc, kc.execute(f"kept + {n}"))
            if reply is None or not idle:
                hangs += 1
            elif reply["status"] != "ok":
                working_failed += 1
            if executor_of(km) != executor:
                restarts += 1
                executor = executor_of(km)
        print(f"{args.interrupts} interrupts at random moments in {time.time() - started:.0f} s: {hangs} hangs, "
              f"{working_failed} following cells failed, {restarts} executor restarts (target: 0 hangs)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
