"""Safetensors between the runtime and PyTorch: LeNet (and LeNet with batch normalization) trained in
Swift loads into the book's PyTorch model with `load_state_dict(safetensors.torch.load_file(path))` and
gives the same logits on a validation batch, and PyTorch's weights load into the Swift model with the
same logits (within 1e-5).

The Swift side is `train-bench interop` (beside the kernel binary); the PyTorch side runs in
.venv-bench (`scripts/setup.sh --tests` installs torch, numpy and safetensors there)."""
import os
import random
import subprocess
from array import array

import pytest

from conftest import BINARY, ROOT

TRAIN_BENCH = os.path.join(os.path.dirname(BINARY), "train-bench")
TORCH_PYTHON = os.path.join(ROOT, ".venv-bench", "bin", "python")
TORCH_SIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_lenet.py")

pytestmark = pytest.mark.skipif(
    subprocess.run([TORCH_PYTHON, "-c", "import torch, safetensors, numpy"], capture_output=True).returncode != 0
    if os.path.exists(TORCH_PYTHON) else True,
    reason=".venv-bench has no torch and safetensors: run scripts/setup.sh --tests")


def run(*command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{command[:3]} failed: {result.stdout}{result.stderr}"
    return result.stdout


def logits(path):
    """The float32 values of a raw little-endian file (the pytest venv has no numpy)."""
    values = array("f")
    with open(path, "rb") as f:
        values.frombytes(f.read())
    return values


def largest_difference(a, b):
    assert len(a) == len(b)
    return max(abs(x - y) for x, y in zip(a, b))


@pytest.mark.parametrize("model", ["lenet", "bnlenet"])
def test_swift_weights_give_pytorch_the_same_logits(tmp_path, model):
    weights, images, swift, torch = (str(tmp_path / name) for name in ("lenet.safetensors", "x.f32", "swift.f32", "torch.f32"))
    run(TRAIN_BENCH, "interop", "save", weights, images, swift, "100", model)
    run(TORCH_PYTHON, TORCH_SIDE, "logits", model, weights, images, torch)
    expected, got = logits(swift), logits(torch)
    assert len(expected) == len(got) == 64 * 10
    # The model learnt something in its 100 batches (its predictions differ between images), and PyTorch agrees.
    predictions = {max(range(10), key=lambda c: expected[10 * i + c]) for i in range(64)}
    assert len(predictions) > 1
    assert largest_difference(expected, got) < 1e-5


@pytest.mark.parametrize("model", ["lenet", "bnlenet"])
def test_pytorch_weights_give_swift_the_same_logits(tmp_path, model):
    weights, images, swift, torch = (str(tmp_path / name) for name in ("lenet.safetensors", "x.f32", "swift.f32", "torch.f32"))
    # Fashion-MNIST validation images, from the Swift side (any 28×28 images would do).
    run(TRAIN_BENCH, "interop", "save", str(tmp_path / "unused.safetensors"), images, swift, "1")
    run(TORCH_PYTHON, TORCH_SIDE, "make", model, weights, images)
    run(TORCH_PYTHON, TORCH_SIDE, "logits", model, weights, images, torch)
    run(TRAIN_BENCH, "interop", "load", weights, images, swift, model)
    expected, got = logits(torch), logits(swift)
    assert len(expected) == len(got) == 64 * 10
    assert largest_difference(expected, got) < 1e-5


ZOO = {"alexnet": 224, "vgg": 224, "nin": 224, "googlenet": 96, "bnlenet-scratch": 28, "bnlenet": 28, "resnet18": 96,
       "densenet": 96, "regnetx32": 96}


@pytest.mark.parametrize("model", ZOO)
def test_the_books_modern_cnns_load_into_pytorch_with_the_same_logits(tmp_path, model):
    """Every model of the book's chapter 8, saved from Swift, loads strictly (every name and shape) into the
    book's PyTorch model (bench/anchors/torch_modern_cnns.py) and computes the same logits."""
    side = ZOO[model]
    weights, images, swift, torch = (str(tmp_path / name) for name in ("m.safetensors", "x.f32", "swift.f32", "torch.f32"))
    rng = random.Random(5)
    pixels = array("f", (rng.random() for _ in range(2 * side * side)))
    with open(images, "wb") as f:
        f.write(pixels.tobytes())
    run(TRAIN_BENCH, "interop", "zoo", model, weights, images, swift)
    run(TORCH_PYTHON, TORCH_SIDE, "zoo", model, weights, images, torch)
    expected, got = logits(swift), logits(torch)
    assert len(expected) == len(got) == 2 * 10
    scale = max(1.0, max(abs(v) for v in expected))
    assert largest_difference(expected, got) < 1e-5 * scale
