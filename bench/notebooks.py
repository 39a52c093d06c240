#!/usr/bin/env python3
"""Wall time of Notebooks/classification.ipynb (full epochs) through `swift-kernel run`, side by side
with the same steps in PyTorch through ipykernel + nbclient (the settings of
../shared/anchors/torch_fashion_mnist.py: softmax regression, batch 256, lr 0.1, 2 threads), in the same run.

The PyTorch notebook is made here: load the real Fashion-MNIST, train with a validation pass per epoch,
then the section's three exercises (exact loss from batch means, quick estimates over 200 shuffles,
a Bayes decision under a loss matrix) and a confusion matrix.

usage: bench/notebooks.py [--epochs 10]"""
import argparse, os, subprocess, sys, tempfile, time

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv-bench")

TORCH_CELLS = [
    "import gzip, numpy as np, torch\nfrom torch import nn\ntorch.set_num_threads(2); torch.manual_seed(0)\nepochs, batch_size, lr = {epochs}, 256, 0.1",
    "D = '/usr/share/datasets/fashion-mnist/'\ndef idx(name, off):\n    with gzip.open(D + name) as f: return np.frombuffer(f.read(), np.uint8, offset=off)\n"
    "Xtr = torch.tensor(idx('train-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255\n"
    "ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz', 8).astype(np.int64))\n"
    "Xva = torch.tensor(idx('t10k-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28), dtype=torch.float32) / 255\n"
    "yva = torch.tensor(idx('t10k-labels-idx1-ubyte.gz', 8).astype(np.int64))",
    "net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10)); opt = torch.optim.SGD(net.parameters(), lr=lr); loss = nn.CrossEntropyLoss()\n"
    "for e in range(epochs):\n    perm = torch.randperm(len(Xtr))\n    for i in range(0, len(Xtr), batch_size):\n"
    "        j = perm[i:i + batch_size]; opt.zero_grad(); l = loss(net(Xtr[j]), ytr[j]); l.backward(); opt.step()\n"
    "    with torch.no_grad():\n        correct, total = 0, 0.0\n        for i in range(0, len(Xva), batch_size):\n"
    "            yh = net(Xva[i:i + batch_size]); total += loss(yh, yva[i:i + batch_size]).item() * len(yh); correct += (yh.argmax(1) == yva[i:i + batch_size]).sum().item()\n"
    "    print(e + 1, total / len(Xva), correct / len(Xva))",
    "with torch.no_grad():\n    means = [loss(net(Xva[i:i + batch_size]), yva[i:i + batch_size]).item() for i in range(0, len(Xva), batch_size)]\n"
    "sizes = [min(batch_size, len(Xva) - i) for i in range(0, len(Xva), batch_size)]\nquick = sum(means) / len(means)\n"
    "exact = batch_size / len(Xva) * (len(means) * quick - means[-1]) + sizes[-1] / len(Xva) * means[-1]\nprint(quick, exact)",
    "with torch.no_grad(): per = nn.functional.cross_entropy(net(Xva), yva, reduction='none')\n"
    "estimates = []\nfor _ in range(200):\n    p = per[torch.randperm(len(per))]\n    estimates.append(torch.stack([p[i:i + batch_size].mean() for i in range(0, len(p), batch_size)]).mean().item())\n"
    "print(per.mean().item(), np.mean(estimates), np.std(estimates))",
    "costs = torch.ones(10, 10) - torch.eye(10); costs[6, 0] = 5\nwith torch.no_grad(): probs = net(Xva).softmax(1)\n"
    "plain, careful = probs.argmax(1), (probs @ costs).argmin(1)\nprint((plain != careful).sum().item(), costs[yva, plain].mean().item(), costs[yva, careful].mean().item())",
    "with torch.no_grad(): pred = net(Xva).argmax(1)\nconfusion = torch.zeros(10, 10, dtype=torch.long)\nfor t, p in zip(yva, pred): confusion[t, p] += 1\nconfusion",
]


def ensure_venv():
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    if subprocess.run([python, "-c", "import torch, numpy, nbclient, ipykernel"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "torch", "numpy", "nbclient", "nbformat", "ipykernel"], check=True)
    subprocess.run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], check=True, stdout=subprocess.DEVNULL)
    return python


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    python = ensure_venv()
    subprocess.run(["swift", "build", "-c", "release", "--product", "swift-kernel"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    binary = os.path.join(ROOT, ".build", "release", "swift-kernel")
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        subprocess.run([binary, "run", os.path.join(ROOT, "Notebooks", "classification.ipynb"), "-o", os.path.join(work, "swift.ipynb"),
                        "-p", f"epochs={args.epochs}"], check=True, stderr=subprocess.DEVNULL)
        swift_seconds = time.perf_counter() - started
        torch_nb = os.path.join(work, "torch.ipynb")
        nbformat.write(new_notebook(cells=[new_code_cell(c.replace("{epochs}", str(args.epochs))) for c in TORCH_CELLS],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), torch_nb)
        runner = ("import sys, nbformat; from nbclient import NotebookClient\n"
                  "nb = nbformat.read(sys.argv[1], 4); NotebookClient(nb, kernel_name='python3', timeout=1800).execute()")
        started = time.perf_counter()
        subprocess.run([python, "-c", runner, torch_nb], check=True, env={**os.environ, "JUPYTER_PATH": os.path.join(VENV, "share", "jupyter")})
        torch_seconds = time.perf_counter() - started
    print(f"classification notebook, {args.epochs} epochs, wall time (kernel start to notebook written):")
    print(f"  swift-kernel run:                {swift_seconds:6.1f} s")
    print(f"  PyTorch via ipykernel + nbclient: {torch_seconds:6.1f} s")
    print(f"  ratio swift/PyTorch: {swift_seconds / torch_seconds:.2f}x")


if __name__ == "__main__":
    main()
