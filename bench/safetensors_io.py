#!/usr/bin/env python3
"""Saving and loading a ResNet-sized set of weights (ResNet-18's convolution and dense shapes: 11.2 M
float32 parameters, 45 MB) through the Swift runtime (`model.save(to:)` / `model.load(from:)`, in
`train-bench interop bench`), beside `torch.save`/`torch.load` and `safetensors.torch.save_file`/`load_file`
on the same tensors, in one run.

Loading means into a model, on every side: the Swift model's tensors are replaced, and the PyTorch side
is `model.load_state_dict(torch.load(path))` / `model.load_state_dict(load_file(path))` on a module with
the same parameters. `load_file` alone maps the file and copies nothing until the tensors are used
(about 1 ms here), so it is printed too, but it is not what a loaded model costs.

Each round runs the three in turn, the order rotating from round to round; every side does one untimed
save and load first (the Swift side in its own process, timed inside it, so process start is not
counted), and all files are in the same temporary folder (the page cache holds them: this is the cost of
formatting and copying, not of the disk). It prints each round, the medians, and the ratios to
safetensors (target: at most 1.0x).

usage: bench/safetensors_io.py [--rounds 7]   (runs itself in .venv-bench, which bench/train.py makes)"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(ROOT, ".venv-bench", "bin", "python")
TRAIN_BENCH = os.path.join(ROOT, ".build", "release", "train-bench")

try:
    import torch
    from safetensors.torch import load_file, save_file
except ImportError:
    if os.path.realpath(sys.executable) == os.path.realpath(VENV_PYTHON) or not os.path.exists(VENV_PYTHON):
        raise SystemExit("bench/safetensors_io: needs torch and safetensors (scripts/setup.sh --tests makes .venv-bench)")
    os.execv(VENV_PYTHON, [VENV_PYTHON, *sys.argv])


def timed(body):
    started = time.perf_counter()
    body()
    return time.perf_counter() - started


def swift_round(path):
    out = subprocess.run([TRAIN_BENCH, "interop", "bench", path], capture_output=True, text=True, check=True).stdout
    match = re.search(r"save ([\d.]+) load ([\d.]+) bytes (\d+) parameters (\d+)", out)
    if not match:
        raise SystemExit(f"unexpected output: {out}")
    return float(match.group(1)), float(match.group(2)), int(match.group(3)), int(match.group(4))


def module_with(tensors):
    """An nn.Module whose state_dict has these names and shapes (`convs.3.weight` → modules convs, 3)."""
    root = torch.nn.Module()
    for name, tensor in tensors.items():
        *path, leaf = name.split(".")
        module = root
        for part in path:
            if not hasattr(module, part):
                module.add_module(part, torch.nn.Module())
            module = getattr(module, part)
        module.register_parameter(leaf, torch.nn.Parameter(torch.zeros_like(tensor)))
    return root


def torch_round(tensors, model, path):
    torch.save(tensors, path)
    model.load_state_dict(torch.load(path))
    return timed(lambda: torch.save(tensors, path)), timed(lambda: model.load_state_dict(torch.load(path)))


def safetensors_round(tensors, model, path):
    save_file(tensors, path)
    model.load_state_dict(load_file(path))
    mapped = timed(lambda: load_file(path))
    return (timed(lambda: save_file(tensors, path)), timed(lambda: model.load_state_dict(load_file(path))), mapped)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    folder = tempfile.mkdtemp(prefix="safetensors-io-")
    paths = {name: os.path.join(folder, name) for name in ("swift.safetensors", "torch.pt", "st.safetensors")}
    _, _, size, count = swift_round(paths["swift.safetensors"])
    tensors = load_file(paths["swift.safetensors"])  # the very tensors the Swift side wrote
    assert sum(t.numel() for t in tensors.values()) == count
    print(f"{len(tensors)} tensors, {count / 1e6:.2f} M parameters, {size / 1e6:.1f} MB; folder {folder}")
    model = module_with(tensors)
    assert set(model.state_dict()) == set(tensors)
    sides = {
        "swift": lambda: swift_round(paths["swift.safetensors"])[:2],
        "torch": lambda: torch_round(tensors, model, paths["torch.pt"]),
        "safetensors": lambda: safetensors_round(tensors, model, paths["st.safetensors"]),
    }
    names = list(sides)
    results = {name: [] for name in names}
    for r in range(args.rounds):
        order = names[r % 3:] + names[:r % 3]
        for name in order:
            results[name].append(sides[name]())
        print(f"round {r + 1}: " + "  ".join(
            f"{n} save {results[n][-1][0] * 1e3:6.1f} ms load {results[n][-1][1] * 1e3:6.1f} ms" for n in names))
    median = {n: (statistics.median(r[0] for r in results[n]), statistics.median(r[1] for r in results[n])) for n in names}
    print("median (ms):  " + "  ".join(f"{n} save {median[n][0] * 1e3:.1f} load {median[n][1] * 1e3:.1f}" for n in names))
    print(f"(safetensors load_file alone, mapped and not yet copied: {statistics.median(r[2] for r in results['safetensors']) * 1e3:.1f} ms)")
    for n in ("swift", "torch"):
        print(f"{n} / safetensors: save {median[n][0] / median['safetensors'][0]:.2f}x, "
              f"load {median[n][1] / median['safetensors'][1]:.2f}x")
    for path in paths.values():
        os.remove(path)
    os.rmdir(folder)


if __name__ == "__main__":
    main()
