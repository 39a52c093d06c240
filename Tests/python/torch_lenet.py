"""The PyTorch side of test_safetensors_torch.py, run in .venv-bench (torch, numpy, safetensors).

The book's LeNet (d2l 7.6) and LeNet with batch normalization (d2l 8.5.4) as the book writes them, so
their state_dict names are net.0.weight … net.11.bias, and net.1.running_mean, net.1.num_batches_tracked, ….

usage: torch_lenet.py logits MODEL WEIGHTS IMAGES LOGITS  load WEIGHTS (safetensors) with load_state_dict
                                                          (strict), write the evaluation-mode logits on
                                                          IMAGES (raw float32, N×1×28×28)
       torch_lenet.py make MODEL WEIGHTS IMAGES           MODEL initialised as the book does (Xavier, seed 1),
                                                          trained 3 SGD steps on IMAGES, saved with save_file
       torch_lenet.py zoo MODEL WEIGHTS IMAGES LOGITS     one of the book's modern CNNs from
                                                          bench/anchors/torch_modern_cnns.py, sized as it does,
                                                          WEIGHTS loaded (strict), evaluation-mode logits written
MODEL: lenet | bnlenet (zoo: alexnet vgg nin googlenet bnlenet-scratch bnlenet resnet18 densenet regnetx32)"""
import sys

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn


class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))

    def forward(self, x):
        return self.net(x)


class BNLeNet(LeNet):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(),
            nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(),
            nn.Sigmoid(), nn.LazyLinear(84), nn.LazyBatchNorm1d(),
            nn.Sigmoid(), nn.LazyLinear(num_classes))


def images(path):
    return torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(-1, 1, 28, 28))


def zoo(kind, weights, pixels, logits):
    import importlib.util, os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "anchors", "torch_modern_cnns.py")
    spec = importlib.util.spec_from_file_location("torch_modern_cnns", path)
    anchor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchor)
    side = anchor.MODELS[kind][1]
    x = torch.from_numpy(np.fromfile(pixels, dtype=np.float32).reshape(-1, 1, side, side))
    model = anchor.build(kind, torch.zeros(2, 1, side, side))
    model.load_state_dict(load_file(weights))  # strict: the same names and shapes
    model.eval()
    with torch.no_grad():
        model(x).numpy().astype(np.float32).tofile(logits)


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "zoo":
        return zoo(*sys.argv[2:6])
    command, kind, weights, pixels = sys.argv[1:5]
    model = {"lenet": LeNet, "bnlenet": BNLeNet}[kind]()
    x = images(pixels)
    if command == "logits":
        model.load_state_dict(load_file(weights))  # strict: every name and shape must match
        model.eval()
        with torch.no_grad():
            model(x).numpy().astype(np.float32).tofile(sys.argv[5])
    elif command == "make":
        torch.manual_seed(1)
        model(x[:2])  # sizes the lazy layers (batch normalization needs two examples while training)

        def init_cnn(module):  # the book's init_cnn
            if type(module) in (nn.Linear, nn.Conv2d):
                nn.init.xavier_uniform_(module.weight)

        model.apply(init_cnn)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.9)
        labels = torch.arange(x.shape[0]) % 10
        for _ in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), labels).backward()
            optimizer.step()
        save_file(model.state_dict(), weights)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
