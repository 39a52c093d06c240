#!/usr/bin/env python3
"""PyTorch CPU anchor for the book's modern CNNs (d2l chapter 8), written as the book writes them.

A sibling of ../shared/anchors/torch_fashion_mnist.py: the same data (Debian's dataset-fashion-mnist), 2 threads,
SGD with the book's lr 0.1, Xavier initialisation on a first batch (the book's init_cnn).

usage: torch_modern_cnns.py params                       the parameter count of every model (1 input channel, 10 classes)
       torch_modern_cnns.py steps MODEL STEPS [BATCH]     median seconds of a training step (forward, backward, SGD step)
                                                         at the book's input size, batch 128 by default
       torch_modern_cnns.py epoch MODEL EPOCHS [BATCH]    seconds per epoch (train + full validation) and accuracy at 28x28
MODEL: alexnet vgg nin googlenet bnlenet-scratch bnlenet resnet18 densenet regnetx32"""
import gzip, sys, time
import numpy as np, torch
from torch import nn
from torch.nn import functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
D = "/usr/share/datasets/fashion-mnist/"


def idx(name, off):
    with gzip.open(D + name) as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class AlexNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.LazyConv2d(96, kernel_size=11, stride=4, padding=1), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.LazyConv2d(256, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
            nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
            nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
            nn.LazyConv2d(256, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5), nn.LazyLinear(num_classes))

    def forward(self, x): return self.net(x)


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, arch, num_classes=10):
        super().__init__()
        conv_blks = [vgg_block(num_convs, out_channels) for (num_convs, out_channels) in arch]
        self.net = nn.Sequential(
            *conv_blks, nn.Flatten(), nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5), nn.LazyLinear(num_classes))

    def forward(self, x): return self.net(x)


def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1), nn.ReLU())


class NiN(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nin_block(96, kernel_size=11, strides=4, padding=0), nn.MaxPool2d(3, stride=2),
            nin_block(256, kernel_size=5, strides=1, padding=2), nn.MaxPool2d(3, stride=2),
            nin_block(384, kernel_size=3, strides=1, padding=1), nn.MaxPool2d(3, stride=2),
            nn.Dropout(0.5), nin_block(num_classes, kernel_size=3, strides=1, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())

    def forward(self, x): return self.net(x)


class Inception(nn.Module):
    def __init__(self, c1, c2, c3, c4):
        super().__init__()
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


class GoogleNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        b1 = nn.Sequential(nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), nn.ReLU(),
                           nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        b2 = nn.Sequential(nn.LazyConv2d(64, kernel_size=1), nn.ReLU(), nn.LazyConv2d(192, kernel_size=3, padding=1),
                           nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        b3 = nn.Sequential(Inception(64, (96, 128), (16, 32), 32), Inception(128, (128, 192), (32, 96), 64),
                           nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        b4 = nn.Sequential(Inception(192, (96, 208), (16, 48), 64), Inception(160, (112, 224), (24, 64), 64),
                           Inception(128, (128, 256), (24, 64), 64), Inception(112, (144, 288), (32, 64), 64),
                           Inception(256, (160, 320), (32, 128), 128), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        b5 = nn.Sequential(Inception(256, (160, 320), (32, 128), 128), Inception(384, (192, 384), (48, 128), 128),
                           nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())
        self.net = nn.Sequential(b1, b2, b3, b4, b5, nn.LazyLinear(num_classes))

    def forward(self, x): return self.net(x)


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNormScratch(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


class BNLeNetScratch(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5), BatchNormScratch(6, num_dims=4), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), BatchNormScratch(16, num_dims=4), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
            nn.LazyLinear(120), BatchNormScratch(120, num_dims=2), nn.Sigmoid(),
            nn.LazyLinear(84), BatchNormScratch(84, num_dims=2), nn.Sigmoid(), nn.LazyLinear(num_classes))

    def forward(self, x): return self.net(x)


class BNLeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(),
            nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.Sigmoid(), nn.LazyLinear(num_classes))

    def forward(self, x): return self.net(x)


class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


def stem():
    return nn.Sequential(nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), nn.LazyBatchNorm2d(), nn.ReLU(),
                         nn.MaxPool2d(kernel_size=3, stride=2, padding=1))


class ResNet(nn.Module):
    def __init__(self, arch, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(stem())
        for i, b in enumerate(arch):
            self.net.add_module(f'b{i + 2}', self.block(*b, first_block=(i == 0)))
        self.net.add_module('last', nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)))

    def block(self, num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            blk.append(Residual(num_channels, use_1x1conv=True, strides=2) if i == 0 and not first_block
                       else Residual(num_channels))
        return nn.Sequential(*blk)

    def forward(self, x): return self.net(x)


def conv_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super().__init__()
        self.net = nn.Sequential(*[conv_block(num_channels) for _ in range(num_convs)])

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    def __init__(self, num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), num_classes=10):
        super().__init__()
        self.net = nn.Sequential(stem())
        for i, num_convs in enumerate(arch):
            self.net.add_module(f'dense_blk{i + 1}', DenseBlock(num_convs, growth_rate))
            num_channels += num_convs * growth_rate
            if i != len(arch) - 1:
                num_channels //= 2
                self.net.add_module(f'tran_blk{i + 1}', transition_block(num_channels))
        self.net.add_module('last', nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 1)),
                                                  nn.Flatten(), nn.LazyLinear(num_classes)))

    def forward(self, x): return self.net(x)


class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1, groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1, self.bn2, self.bn3 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


class AnyNet(nn.Module):
    def __init__(self, arch, stem_channels, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(nn.Sequential(
            nn.LazyConv2d(stem_channels, kernel_size=3, stride=2, padding=1), nn.LazyBatchNorm2d(), nn.ReLU()))
        for i, s in enumerate(arch):
            self.net.add_module(f'stage{i + 1}', self.stage(*s))
        self.net.add_module('head', nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)))

    def stage(self, depth, num_channels, groups, bot_mul):
        blk = []
        for i in range(depth):
            blk.append(ResNeXtBlock(num_channels, groups, bot_mul, use_1x1conv=True, strides=2) if i == 0
                       else ResNeXtBlock(num_channels, groups, bot_mul))
        return nn.Sequential(*blk)

    def forward(self, x): return self.net(x)


def regnetx32(num_classes=10):
    stem_channels, groups, bot_mul = 32, 16, 1
    depths, channels = (4, 6), (32, 80)
    return AnyNet(((depths[0], channels[0], groups, bot_mul), (depths[1], channels[1], groups, bot_mul)),
                  stem_channels, num_classes)


# Each model and the input side the book trains it at.
MODELS = {
    "alexnet": (AlexNet, 224),
    "vgg": (lambda: VGG(((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))), 224),
    "nin": (NiN, 224),
    "googlenet": (GoogleNet, 96),
    "bnlenet-scratch": (BNLeNetScratch, 28),
    "bnlenet": (BNLeNet, 28),
    "resnet18": (lambda: ResNet(((2, 64), (2, 128), (2, 256), (2, 512))), 96),
    "densenet": (DenseNet, 96),
    "regnetx32": (regnetx32, 96),
}


def build(kind, sample):
    make, _ = MODELS[kind]
    net = make()
    with torch.no_grad():
        net.eval()
        net(sample[:2])  # sizes the lazy layers (eval: no running statistics move)
        net.train()
    net.apply(init_cnn)
    return net


def forward_flop(net, X):
    """Multiply-adds of the convolutions and dense layers in one forward pass, times 2."""
    macs = [0]

    def hook(module, inputs, out):
        if isinstance(module, nn.Conv2d):
            macs[0] += out.numel() * module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        elif isinstance(module, nn.Linear):
            macs[0] += out.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        net(X)
    for h in handles:
        h.remove()
    return 2 * macs[0]


def images(name, count, side):
    x = torch.tensor(idx(name, 16)[:count * 784].reshape(-1, 1, 28, 28), dtype=torch.float32) / 255
    return x if side == 28 else F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)


def main():
    mode = sys.argv[1]
    if mode == "params":
        for kind, (_, side) in MODELS.items():
            net = build(kind, torch.zeros(2, 1, side, side))
            print(f"torch {kind} params {sum(p.numel() for p in net.parameters())}")
        return
    kind, count = sys.argv[2], int(sys.argv[3])
    side = MODELS[kind][1]
    loss = nn.CrossEntropyLoss()
    if mode == "steps":
        batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
        X = images("train-images-idx3-ubyte.gz", batch, side)
        y = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8)[:batch].astype(np.int64))
        net = build(kind, X)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        net.train()
        times = []
        for _ in range(count + 1):  # the first step warms up (allocator, oneDNN's primitives)
            t = time.perf_counter()
            opt.zero_grad()
            l = loss(net(X), y)
            l.backward()
            opt.step()
            times.append(time.perf_counter() - t)
        times = sorted(times[1:])
        params = sum(p.numel() for p in net.parameters())
        print(f"torch {kind} {side}x{side} batch {batch}: step median {times[len(times) // 2]:.4f} s; "
              f"loss {l.item():.4f}; params {params}; forward GFLOP {forward_flop(net, X) / 1e9:.1f}")
        return
    # epoch: train + full validation at 28x28 (BNLeNet), as torch_fashion_mnist.py does.
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    Xtr, Xva = images("train-images-idx3-ubyte.gz", 60000, side), images("t10k-images-idx3-ubyte.gz", 10000, side)
    ytr = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64))
    yva = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    net = build(kind, Xtr[:batch])
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    times = []
    for e in range(count):
        t = time.perf_counter(); net.train(); perm = torch.randperm(len(Xtr))
        for i in range(0, len(Xtr), batch):
            j = perm[i:i + batch]; opt.zero_grad(); l = loss(net(Xtr[j]), ytr[j]); l.backward(); opt.step()
        net.eval(); correct = 0; vl = 0.0
        with torch.no_grad():
            for i in range(0, len(Xva), batch):
                yh = net(Xva[i:i + batch]); vl += loss(yh, yva[i:i + batch]).item() * len(yh)
                correct += (yh.argmax(1) == yva[i:i + batch]).sum().item()
        times.append(time.perf_counter() - t)
    print(f"torch {kind} batch {batch}: epoch median {sorted(times)[len(times) // 2]:.3f} s; "
          f"val_loss {vl / len(Xva):.4f} val_acc {correct / len(Xva):.4f} after {count} epochs")


if __name__ == "__main__":
    main()
