#!/usr/bin/env python3
"""Training speed and memory of the runtime, side by side with PyTorch (CPU, 2 threads) in the same run.

For softmax regression, the MLP and LeNet on the real Fashion-MNIST with the book's settings (batch 256,
LeNet 128; lr 0.1), it runs the Swift runtime (`train-bench`, release build) and
../shared/anchors/torch_fashion_mnist.py (in a venv this script creates, .venv-bench), and prints the
median seconds per epoch (train + full validation), the final validation accuracy and the peak resident
memory of each process. It also prints the MLP epoch's GFLOP/s against sgemm's rate on this machine.

Targets (issue 3): time softmax <= 0.5x PyTorch, MLP <= 1.0x, LeNet <= 1.0x; peak memory below PyTorch's;
accuracy softmax >= 0.82, MLP >= 0.84, LeNet >= 0.70 after 10 epochs.

Each side runs --rounds times (default 2), alternating which goes first; the figures are the medians over
the rounds, and the ratio of each round is printed too.

With --openblas-only it also runs the runtime with CLASSIFICATION_RUNTIME_OPENBLAS_ONLY=1: every product
through OpenBLAS and every convolution as im2col + sgemm, without the runtime's own vector loops.

The book's modern CNNs (chapter 8) are compared per training step (--cnns): at the book's input size (224 for
AlexNet, VGG, NiN; 96 for GoogLeNet, ResNet-18, DenseNet, RegNetX-32; 28 for the BNLeNets), batch 128, the median
time of --steps training steps (forward, loss, backward, SGD step; a first step not counted), against
bench/anchors/torch_modern_cnns.py, the same models written the book's way. Each side prints its parameter count:
they must be equal. BNLeNet is also compared per full epoch (--models bnlenet).
Targets (issue 17): BNLeNet epoch <= 0.6x PyTorch; the others' step <= 1.0x; peak memory <= 0.5x PyTorch's.

usage: bench/train.py [--epochs 10] [--models softmax,mlp,lenet,bnlenet] [--rounds 2] [--openblas-only]
                      [--cnns alexnet,vgg,nin,googlenet,bnlenet-scratch,bnlenet,resnet18,densenet,regnetx32] [--steps 3]"""
import argparse, os, re, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHOR = os.path.join(ROOT, "..", "shared", "anchors", "torch_fashion_mnist.py")
# The sibling anchor for the book's modern CNNs, in this repository.
CNN_ANCHOR = os.path.join(ROOT, "bench", "anchors", "torch_modern_cnns.py")
CNNS = "alexnet,vgg,nin,googlenet,bnlenet-scratch,bnlenet,resnet18,densenet,regnetx32"
VENV = os.path.join(ROOT, ".venv-bench")
TARGET_RATIO = {"softmax": 0.5, "mlp": 1.0, "lenet": 1.0, "bnlenet": 0.6, "bnlenet-scratch": 1.0}
TARGET_ACCURACY = {"softmax": 0.82, "mlp": 0.84, "lenet": 0.70, "bnlenet": 0.84, "bnlenet-scratch": 0.84}
# One MLP epoch (784-256-10): 60 000 examples forward and backward (no gradient for the input),
# 10 000 forward: 2·(784·256 + 256·10) forward, 2·(784·256 + 2·256·10) backward per example.
MLP_EPOCH_FLOP = 60_000 * (2 * (784 * 256 + 256 * 10) + 2 * (784 * 256 + 2 * 256 * 10)) + 10_000 * 2 * (784 * 256 + 256 * 10)


def ensure_torch():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if subprocess.run([python, "-c", "import torch, numpy"], capture_output=True).returncode != 0:
        print("bench/train: installing torch and numpy into .venv-bench (once)", flush=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "torch", "numpy", "safetensors"], check=True)
    return python


def run(command, env=None):
    """Runs a command; returns its stdout and its peak resident memory in MB (from wait4)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                               env=None if env is None else {**os.environ, **env})
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {out}")
    return out, usage.ru_maxrss / 1024


def parse(out):
    match = re.search(r"epoch median ([\d.]+) s; val_loss ([\d.]+) val_acc ([\d.]+)", out)
    if not match:
        raise SystemExit(f"unexpected output: {out}")
    return float(match.group(1)), float(match.group(3))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default="softmax,mlp,lenet,bnlenet")
    parser.add_argument("--cnns", default=CNNS, help="modern CNNs compared per training step ('' for none)")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per modern CNN and round")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side, alternating which goes first")
    parser.add_argument("--openblas-only", action="store_true",
                        help="also run the runtime with CLASSIFICATION_RUNTIME_OPENBLAS_ONLY=1 (no own kernels)")
    args = parser.parse_args()
    python = ensure_torch()
    subprocess.run(["swift", "build", "-c", "release", "--product", "train-bench"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bench = os.path.join(ROOT, ".build", "release", "train-bench")
    peak, _ = run([bench, "sgemm-peak", "20"])
    print(peak.strip())
    peak_gflops = float(re.search(r"([\d.]+) GFLOP/s", peak).group(1))
    rows = []
    for model in filter(None, args.models.split(",")):
        # Rounds alternate which side runs first: this machine's speed drifts by tens of percent over
        # minutes, and alternating puts both sides under the same drift.
        swift_runs, torch_runs, blas_runs = [], [], []
        for index in range(args.rounds):
            anchor = [python, ANCHOR, model, str(args.epochs)] if model in ("softmax", "mlp", "lenet") \
                else [python, CNN_ANCHOR, "epoch", model, str(args.epochs)]
            sides = [("swift", [bench, model, str(args.epochs)]), ("torch", anchor)]
            if args.openblas_only:
                sides.insert(1, ("openblas", [bench, model, str(args.epochs)]))
            for side, command in (sides if index % 2 == 0 else sides[::-1]):
                out, mb = run(command, {"CLASSIFICATION_RUNTIME_OPENBLAS_ONLY": "1"} if side == "openblas" else None)
                {"swift": swift_runs, "torch": torch_runs, "openblas": blas_runs}[side].append((*parse(out), mb))
                print(("(OpenBLAS only) " if side == "openblas" else "") + out.strip(), flush=True)
        if args.rounds > 1:
            ratios = [s[0] / t[0] for s, t in zip(swift_runs, torch_runs)]
            print(f"  {model}: ratio per round " + ", ".join(f"{r:.2f}x" for r in ratios))
        if blas_runs:
            b_time, t_time = statistics.median(r[0] for r in blas_runs), statistics.median(r[0] for r in torch_runs)
            print(f"  {model}: OpenBLAS only (every product through OpenBLAS, convolution as im2col + sgemm): "
                  f"{b_time:.3f} s per epoch, {b_time / t_time:.2f}x PyTorch")
        s_time, t_time = statistics.median(r[0] for r in swift_runs), statistics.median(r[0] for r in torch_runs)
        rows.append((model, s_time, t_time, swift_runs[-1][1], torch_runs[-1][1], max(r[2] for r in swift_runs),
                     max(r[2] for r in torch_runs)))
    print()
    print(f"{args.epochs} epochs each, {args.rounds} rounds; seconds per epoch (median of the rounds' medians; "
          f"train + full validation), 2 threads")
    print(f"{'model':<8} {'swift s':>8} {'torch s':>8} {'ratio':>6} {'target':>7} {'swift acc':>10} {'torch acc':>10} "
          f"{'swift MB':>9} {'torch MB':>9}")
    for model, s_time, t_time, s_acc, t_acc, s_mb, t_mb in rows:
        ratio = s_time / t_time
        verdict = "met" if ratio <= TARGET_RATIO[model] else "NOT met"
        print(f"{model:<8} {s_time:>8.3f} {t_time:>8.3f} {ratio:>5.2f}x {'<=' + str(TARGET_RATIO[model]) + 'x':>7} "
              f"{s_acc:>10.4f} {t_acc:>10.4f} {s_mb:>9.0f} {t_mb:>9.0f}   time {verdict}, memory "
              f"{'met' if s_mb < t_mb else 'NOT met'}, accuracy {'met' if s_acc >= TARGET_ACCURACY[model] or args.epochs < 10 else 'NOT met'}")
        if model == "mlp":
            print(f"         MLP epoch: {MLP_EPOCH_FLOP / s_time / 1e9:.1f} GFLOP/s achieved, "
                  f"{MLP_EPOCH_FLOP / s_time / 1e9 / peak_gflops * 100:.0f}% of sgemm's {peak_gflops:.0f} GFLOP/s on this machine")
    if args.cnns:
        cnn_steps(args, python, bench, peak_gflops)


def cnn_steps(args, python, bench, peak_gflops):
    """The modern CNNs, per training step, side by side with the PyTorch anchor; rounds alternate."""
    step = re.compile(r"(\S+) (\d+)x\d+ batch (\d+): step median ([\d.]+) s; loss ([\d.]+); params (\d+)")
    flop = re.compile(r"forward GFLOP ([\d.]+)")
    forward_gflop = {}
    rows = []
    for model in args.cnns.split(","):
        runs = {"swift": [], "torch": []}
        for index in range(args.rounds):
            sides = [("swift", [bench, "steps", model, str(args.steps)]),
                     ("torch", [python, CNN_ANCHOR, "steps", model, str(args.steps)])]
            for side, command in (sides if index % 2 == 0 else sides[::-1]):
                out, mb = run(command)
                match = step.search(out)
                if not match:
                    raise SystemExit(f"unexpected output: {out}")
                runs[side].append((float(match.group(4)), int(match.group(6)), mb, int(match.group(2))))
                if flop.search(out):
                    forward_gflop[model] = float(flop.search(out).group(1))
                print(out.strip(), flush=True)
        s_time = statistics.median(r[0] for r in runs["swift"])
        t_time = statistics.median(r[0] for r in runs["torch"])
        rows.append((model, runs["swift"][0][3], s_time, t_time, runs["swift"][0][1], runs["torch"][0][1],
                     max(r[2] for r in runs["swift"]), max(r[2] for r in runs["torch"]),
                     [s[0] / t[0] for s, t in zip(runs["swift"], runs["torch"])]))
    print()
    print("a training step is about 3x the forward pass's multiply-adds (forward, input and weight gradients); "
          f"sgemm's rate here: {peak_gflops:.0f} GFLOP/s")
    for model, *_ in rows:
        if model in forward_gflop:
            s_time = next(r[2] for r in rows if r[0] == model)
            t_time = next(r[3] for r in rows if r[0] == model)
            rate = 3 * forward_gflop[model]
            print(f"  {model:<16} {rate:7.1f} GFLOP a step: swift {rate / s_time:6.1f} GFLOP/s "
                  f"({rate / s_time / peak_gflops * 100:.0f}% of sgemm's rate), torch {rate / t_time:6.1f} GFLOP/s")
    print(f"modern CNNs: median seconds per training step (batch 128, {args.steps} steps x {args.rounds} rounds), 2 threads")
    print(f"{'model':<16} {'side':>4} {'swift s':>8} {'torch s':>8} {'ratio':>6} {'rounds':>14} {'swift MB':>9} "
          f"{'torch MB':>9} {'mem':>5} {'swift params':>13} {'torch params':>13}")
    for model, side, s_time, t_time, s_params, t_params, s_mb, t_mb, ratios in rows:
        target = 1.0  # a step of every model; BNLeNet's 0.6x is its full epoch's target, above
        print(f"{model:<16} {side:>4} {s_time:>8.3f} {t_time:>8.3f} {s_time / t_time:>5.2f}x "
              f"{' '.join(f'{r:.2f}' for r in ratios):>14} {s_mb:>9.0f} {t_mb:>9.0f} {s_mb / t_mb:>4.2f}x "
              f"{s_params:>13,} {t_params:>13,}   time {'met' if s_time / t_time <= target else 'NOT met'}, "
              f"memory {'met' if s_mb <= 0.5 * t_mb else 'NOT met'}, params {'equal' if s_params == t_params else 'DIFFER'}")


if __name__ == "__main__":
    main()
