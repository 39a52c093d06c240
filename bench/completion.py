#!/usr/bin/env python3
"""Completion latency on a warm kernel after 50 cells, side by side with ipykernel (Jedi) in one run.

Each kernel runs the same session: 50 declaring cells (a `let`, a `func`, a `struct` in turn), a
point value, a model of the runtime (`SoftmaxRegression`; in Python a small class with methods).
Then completion requests, sent to the two kernels in turn ROUNDS times: members of a user's struct
(`point.`), of a runtime class (`model.`), of a literal (`"abc".upp`), and a global prefix
(`functi`). The first request to each kernel is reported apart (the Swift kernel starts its SourceKit
server then). The figure: p50 and p95 of the warm requests per kernel, and their ratio.
Target (issue 12): the Swift kernel's warm p50 at most 150 ms.

usage: bench/completion.py [--cells 50] [--rounds 20]"""
import argparse, os, statistics, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "python"))
os.environ.setdefault("SWIFT_KERNEL_BIN", os.path.join(ROOT, ".build", "release", "swift-kernel"))
import conftest  # noqa: E402  installs the kernelspec of SWIFT_KERNEL_BIN into a private JUPYTER_PATH
from jupyter_client.manager import start_new_kernel  # noqa: E402
from kernel_client import run_cell  # noqa: E402

os.environ["JUPYTER_PATH"] += os.pathsep + os.path.join(sys.prefix, "share", "jupyter")

SESSIONS = {
    "swift": {
        "declare": [
            lambda i: f"let value{i} = {i}",
            lambda i: f"func function{i}(_ x: Int) -> Int {{ x + {i} }}",
            lambda i: f"struct Type{i} {{ var field = {i} }}",
        ],
        "setup": [
            "struct Point { var x: Double; var y: Double\n  func length() -> Double { (x * x + y * y).squareRoot() } }",
            "let point = Point(x: 3, y: 4)",
            "let model = SoftmaxRegression(numOutputs: 10, lr: 0.1)",
        ],
        "expect": {"point.": "length", "model.": "parameters", '"abc".upp': "uppercased", "functi": "function1"},
    },
    "python3": {
        "declare": [
            lambda i: f"value{i} = {i}",
            lambda i: f"def function{i}(x):\n    return x + {i}",
            lambda i: f"class Type{i}:\n    field = {i}",
        ],
        "setup": [
            "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n    def length(self):\n        return (self.x ** 2 + self.y ** 2) ** 0.5",
            "point = Point(3, 4)",
            "class SoftmaxRegression:\n    def __init__(self, n, lr):\n        self.lr = lr\n    def parameters(self):\n        return []\n    def forward(self, x):\n        return x",
            "model = SoftmaxRegression(10, 0.1)",
        ],
        "expect": {"point.": "length", "model.": "parameters", '"abc".upp': "upper", "functi": "function1"},
    },
}


def complete(kc, code):
    started = time.perf_counter()
    reply = kc.complete(code, len(code), reply=True, timeout=60)["content"]
    return time.perf_counter() - started, reply["matches"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    kernels = {}
    for name, session in SESSIONS.items():
        km, kc = start_new_kernel(kernel_name=name, startup_timeout=90)
        kernels[name] = (km, kc)
        for i in range(args.cells):
            run_cell(kc, session["declare"][i % 3](i))
        for cell in session["setup"]:
            run_cell(kc, cell)
    first, warm = {}, {name: [] for name in SESSIONS}
    try:
        for name, (km, kc) in kernels.items():
            first[name], _ = complete(kc, "point.")
        for _ in range(args.rounds):
            for code in SESSIONS["swift"]["expect"]:
                for name, (km, kc) in kernels.items():
                    seconds, matches = complete(kc, code)
                    wanted = SESSIONS[name]["expect"][code]
                    if not any(m.startswith(wanted) for m in matches):
                        raise SystemExit(f"{name}: completing {code!r} did not offer {wanted}: {matches[:10]}")
                    warm[name].append(seconds)
    finally:
        for km, kc in kernels.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    print(f"completion after {args.cells} cells, {args.rounds} rounds of 4 requests, kernels in turn")
    for name in SESSIONS:
        times = sorted(warm[name])
        p50 = statistics.median(times)
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"  {name:8s} first {first[name] * 1000:7.1f} ms   warm p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms")
    ratio = statistics.median(warm["swift"]) / statistics.median(warm["python3"])
    verdict = "meets" if statistics.median(warm["swift"]) <= 0.150 else "MISSES"
    print(f"  swift/ipykernel warm p50: {ratio:.2f}x; swift warm p50 {verdict} the 150 ms target")


if __name__ == "__main__":
    main()
