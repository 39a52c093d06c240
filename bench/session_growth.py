#!/usr/bin/env python3
"""Compile cost over a long session, side by side with ipykernel in the same run (jupyter_client).

For each kernel: after 0, STEP, 2*STEP, ... MAX declaring cells (a `let`, a `func` or a `struct`, in
turn), the p50 of a trivial cell (`1 + 1` with a fresh literal each time, so no cache can answer it) and
of a using cell (one earlier function and one earlier global). Then 100 re-runs of one model cell (a
struct and a `let` of it, declared again each time) with the p50 of the first and last ten.
Target (issue 11): at MAX=500, each time at most 1.25x its value at 0 cells. For Swift it also prints the
compile service's resident memory at each point, and how many services were seen (a new one after each
recycling past the limit, SWIFT_KERNEL_COMPILE_SERVICE_LIMIT_MB, 600 by default). Because this machine's
speed drifts from minute to minute, the targets are judged side by side: at the end, the long session
and a fresh kernel (with only the two cells the using cell needs) run the same cells in turn, ROUNDS
times, and the ratio of their medians is the figure; likewise the 100th and later re-runs of the model
cell against first runs in the fresh kernel.

usage: bench/session_growth.py [--max 500] [--step 100] [--samples 5] [--reruns 100] [--only swift]"""
import argparse, os, statistics, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import start_new_kernel  # noqa: E402
from kernel_client import children, run_cell  # noqa: E402

os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")

LANGUAGES = {
    "swift": {
        "declare": [
            lambda i: f"let value{i} = {i}",
            lambda i: f"func function{i}(_ x: Int) -> Int {{ x + {i} }}",
            lambda i: f"struct Type{i} {{ var field = {i} }}",
        ],
        "trivial": lambda i: f"{i} + 1",
        "using": lambda i: f"function1(value0) + {i}",
        "model": lambda i: f"struct Model {{ var weight: Double }}\nlet model = Model(weight: {i})\nmodel.weight",
    },
    "python3": {
        "declare": [
            lambda i: f"value{i} = {i}",
            lambda i: f"def function{i}(x):\n    return x + {i}",
            lambda i: f"class Type{i}:\n    field = {i}",
        ],
        "trivial": lambda i: f"{i} + 1",
        "using": lambda i: f"function1(value0) + {i}",
        "model": lambda i: f"class Model:\n    def __init__(self, w): self.weight = w\nmodel = Model({i})\nmodel.weight",
    },
}


def run(kc, code):
    return run_cell(kc, code)[0]


SERVICES = set()


def service_rss_mb(km):
    """The resident memory of the kernel's compile service (swift only), and note its pid."""
    for pid in children(km.provisioner.process.pid):
        try:
            if open(f"/proc/{pid}/cmdline").read().split("\0")[1:2] == ["compile-service"]:
                SERVICES.add(pid)
                for line in open(f"/proc/{pid}/status"):
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except (FileNotFoundError, ProcessLookupError):
            pass
    return 0


def measure(kernel, args):
    lang = LANGUAGES[kernel]
    km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=60)
    counter = iter(range(10**6))
    try:
        run(kc, lang["trivial"](next(counter)))  # warm-up
        points = []
        declared = 0
        for target in range(0, args.max + 1, args.step):
            while declared < target:
                run(kc, lang["declare"][declared % 3](declared))
                declared += 1
            if declared < 2:  # the using cell needs value0 and function1
                for i in range(declared, 2):
                    run(kc, lang["declare"][i % 3](i))
                declared = max(declared, 2)
            trivial = statistics.median(run(kc, lang["trivial"](next(counter))) for _ in range(args.samples))
            using = statistics.median(run(kc, lang["using"](next(counter))) for _ in range(args.samples))
            points.append((declared, trivial, using))
            service = f", compile service {service_rss_mb(km):.0f} MB ({len(SERVICES)} services seen so far)" \
                if kernel == "swift" else ""
            print(f"  {kernel}: after {declared:4d} declaring cells: trivial p50 {trivial * 1000:7.1f} ms, "
                  f"using p50 {using * 1000:7.1f} ms{service}", flush=True)
        reruns = [run(kc, lang["model"](i)) for i in range(args.reruns)]
        first, last = statistics.median(reruns[:10]), statistics.median(reruns[-10:])
        print(f"  {kernel}: {args.reruns} re-runs of a model cell: first ten p50 {first * 1000:.1f} ms, "
              f"last ten p50 {last * 1000:.1f} ms ({last / first:.2f}x)", flush=True)
        side = side_by_side(kernel, lang, kc, counter, args.rounds)
        return points, (first, last), side
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def side_by_side(kernel, lang, long_kc, counter, rounds):
    """The long session against a fresh kernel, the same cells in turn: ratios of their medians."""
    km, fresh = start_new_kernel(kernel_name=kernel, startup_timeout=60)
    try:
        for i in range(2):
            run(fresh, lang["declare"][i](i))
        run(fresh, lang["trivial"](next(counter)))
        times = {(side, cell): [] for side in ("long", "fresh") for cell in ("trivial", "using", "model")}
        for r in range(rounds):
            sides = [("long", long_kc), ("fresh", fresh)] if r % 2 == 0 else [("fresh", fresh), ("long", long_kc)]
            for cell in ("trivial", "using", "model"):
                for side, kc in sides:
                    code = lang[cell](next(counter)) if cell != "model" else lang["model"](next(counter))
                    times[side, cell].append(run(kc, code))
        ratios = {cell: statistics.median(times["long", cell]) / statistics.median(times["fresh", cell])
                  for cell in ("trivial", "using", "model")}
        print(f"  {kernel}: side by side with a fresh kernel, {rounds} rounds in turn: " + ", ".join(
            f"{cell} {statistics.median(times['long', cell]) * 1000:.1f} vs "
            f"{statistics.median(times['fresh', cell]) * 1000:.1f} ms ({ratio:.2f}x)" for cell, ratio in ratios.items()),
            flush=True)
        return ratios
    finally:
        fresh.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=500)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--reruns", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", choices=list(LANGUAGES))
    args = parser.parse_args()
    results = {}
    for kernel in ([args.only] if args.only else ["swift", "python3"]):
        print(f"{kernel}:", flush=True)
        results[kernel] = measure(kernel, args)
    print()
    print("| kernel | declaring cells | trivial p50 | ratio to 0 | using p50 | ratio to 0 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kernel, (points, _, _) in results.items():
        _, t0, u0 = points[0]
        for n, t, u in points:
            print(f"| {kernel} | {n} | {t * 1000:.1f} ms | {t / t0:.2f}x | {u * 1000:.1f} ms | {u / u0:.2f}x |")
    print()
    for kernel, (_, (first, last), _) in results.items():
        print(f"{kernel}: model cell re-run {args.reruns} times: {first * 1000:.1f} ms -> {last * 1000:.1f} ms "
              f"({last / first:.2f}x)")
    print()
    for kernel, (_, _, side) in results.items():
        verdict = "met" if max(side.values()) <= 1.25 else "NOT met"
        print(f"{kernel}: after {args.max} declaring cells and {args.reruns} model re-runs, side by side with a fresh "
              f"kernel: trivial {side['trivial']:.2f}x, using {side['using']:.2f}x, model re-run {side['model']:.2f}x "
              f"(target <= 1.25x: {verdict})")


if __name__ == "__main__":
    main()
