#!/usr/bin/env python3
"""Writes the ProgressBoard SVG of a real Fashion-MNIST run and a visualize grid, and renders both to PNG
with headless Chromium (Debian's `chromium`), so a person can look at them before trusting them.

usage: bench/render_plots.py [--epochs 3] [--out results/plots]"""
import argparse, os, shutil, subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(ROOT, "results", "plots"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if not shutil.which("chromium"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True)
    subprocess.run(["swift", "build", "-c", "release", "--product", "train-bench"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(ROOT, ".build", "release", "train-bench"), "render", str(args.epochs), args.out], check=True)
    for name, size in (("progress_board", "620,380"), ("visualize", "760,240")):
        svg, png = os.path.join(args.out, name + ".svg"), os.path.join(args.out, name + ".png")
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--window-size={size}", f"--screenshot={png}", "file://" + svg],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("rendered", png)


if __name__ == "__main__":
    main()
