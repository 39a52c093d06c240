#!/usr/bin/env python3
"""What a kernel costs when it waits, and while it trains (jupyter_client, this machine's /proc).

1. Idle: after a few cells, the kernel process's CPU seconds over 10 s of waiting, and its executor's,
   side by side with ipykernel's process over the same 10 s. Target (issue 11): under 0.05 s.
2. Training: the MLP's `Trainer.fit` for EPOCHS epochs as a notebook cell (live plot on), with the
   kernel process's CPU over the cell; beside it `train-bench mlp EPOCHS` (same model, data, seed, no
   plot) in the same run. Targets: the kernel under 5% of a core while the cell runs; the cell's epoch
   median at most 1.05x train-bench's. Each side runs --rounds times, alternating which goes first.

usage: bench/idle.py [--idle 10] [--epochs 10] [--rounds 2]"""
import argparse, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import start_new_kernel  # noqa: E402
from kernel_client import children, run_cell as run, cpu_seconds  # noqa: E402

os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")


def idle(kernel, seconds, cells):
    km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=60)
    try:
        for cell in cells:
            run(kc, cell)
        time.sleep(1)
        pid = km.provisioner.process.pid
        watched = {"kernel": pid} | {f"child {c}": c for c in children(pid)}
        before = {name: cpu_seconds(p) for name, p in watched.items()}
        time.sleep(seconds)
        return {name: cpu_seconds(p) - before[name] for name, p in watched.items()}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


TRAIN_CELL = """Random.seed(0)
let data = FashionMNIST(batchSize: 256)
let model = MLP(numOutputs: 10, numHiddens: 256, lr: 0.1)
let history = Trainer(maxEpochs: {epochs}).fit(model, data)
let seconds = history.epochs.map(\\.seconds).sorted()
print("epoch median", seconds[seconds.count / 2])"""


def train_in_kernel(epochs):
    km, kc = start_new_kernel(kernel_name="swift", startup_timeout=60)
    try:
        run(kc, "1 + 1")
        pid = km.provisioner.process.pid
        before = cpu_seconds(pid)
        wall, text = run(kc, TRAIN_CELL.format(epochs=epochs), timeout=3600)
        used = cpu_seconds(pid) - before
        median = float(re.search(r"epoch median ([0-9.]+)", text).group(1))
        return median, wall, used
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def train_bench(epochs):
    binary = os.path.join(os.path.dirname(os.environ["SWIFT_KERNEL_BIN"]), "train-bench")
    started = time.perf_counter()
    out = subprocess.run([binary, "mlp", str(epochs)], check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - started
    return float(re.search(r"epoch median ([0-9.]+) s", out).group(1)), wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    swift = idle("swift", args.idle, ["let x = 1", "func f() -> Int { x + 1 }", "f()", 'print("hello")'])
    python = idle("python3", args.idle, ["x = 1", "def f(): return x + 1", "f()", 'print("hello")'])
    print(f"Idle {args.idle:.0f} s after four cells, CPU seconds (target: kernel < 0.05 s):")
    for name, used in swift.items():
        print(f"  swift-kernel {name}: {used:.3f} s")
    for name, used in python.items():
        print(f"  ipykernel {name}: {used:.3f} s")

    kernel_rounds, bench_rounds = [], []
    for r in range(args.rounds):
        order = ["kernel", "bench"] if r % 2 == 0 else ["bench", "kernel"]
        for side in order:
            if side == "kernel":
                kernel_rounds.append(train_in_kernel(args.epochs))
            else:
                bench_rounds.append(train_bench(args.epochs))
        k, b = kernel_rounds[-1], bench_rounds[-1]
        print(f"  round {r + 1} ({' first, '.join(order)} second): in the kernel {k[0]:.3f} s/epoch "
              f"(cell {k[1]:.1f} s, kernel CPU {k[2]:.2f} s = {100 * k[2] / k[1]:.1f}% of a core); "
              f"train-bench {b[0]:.3f} s/epoch (process {b[1]:.1f} s); ratio {k[0] / b[0]:.3f}", flush=True)
    k_median = statistics.median(k[0] for k in kernel_rounds)
    b_median = statistics.median(b[0] for b in bench_rounds)
    share = max(100 * k[2] / k[1] for k in kernel_rounds)
    print(f"MLP {args.epochs} epochs: in the kernel {k_median:.3f} s/epoch, train-bench {b_median:.3f} s/epoch, "
          f"ratio {k_median / b_median:.3f} (target <= 1.05); kernel process at most {share:.1f}% of a core "
          f"while training (target < 5%)")


if __name__ == "__main__":
    main()
