#!/usr/bin/env python3
"""Installs the swift kernel's kernelspec for Enterprise Gateway's DistributedProcessProxy.

It is the kernelspec `swift-kernel install` writes (toolchain, logos, `interrupt_mode: "message"`), started through
launch_swift_kernel.py (copied into the kernelspec's scripts/) instead of directly, with the process proxy in its
metadata. The paths in argv are absolute: they must be the same on every host of EG_REMOTE_HOSTS (the binary, the
toolchain, a Python with pycryptodomex, and this kernelspec's directory).

usage: install_kernelspec.py --swift-kernel BIN --python PYTHON --prefix PREFIX [--name swift_distributed]
       (writes PREFIX/share/jupyter/kernels/NAME; Enterprise Gateway finds it through JUPYTER_PATH or its prefix)
"""
import argparse
import json
import os
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = "enterprise_gateway.services.processproxies.distributed.DistributedProcessProxy"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swift-kernel", required=True, help="the swift-kernel binary (same path on every host)")
    parser.add_argument("--python", required=True, help="a Python 3 with pycryptodomex, for the launcher")
    parser.add_argument("--prefix", required=True, help="install under PREFIX/share/jupyter/kernels")
    parser.add_argument("--name", default="swift_distributed")
    args = parser.parse_args(argv)
    binary = os.path.abspath(args.swift_kernel)
    subprocess.run([binary, "install", "--prefix", args.prefix, "--name", args.name], check=True,
                   stdout=subprocess.DEVNULL)
    directory = os.path.join(args.prefix, "share", "jupyter", "kernels", args.name)
    os.makedirs(os.path.join(directory, "scripts"), exist_ok=True)
    launcher = os.path.join(directory, "scripts", "launch_swift_kernel.py")
    shutil.copy(os.path.join(HERE, "launch_swift_kernel.py"), launcher)
    path = os.path.join(directory, "kernel.json")
    spec = json.load(open(path))
    spec["display_name"] = spec["display_name"].rstrip(")") + ", distributed)"
    spec["metadata"]["process_proxy"] = {"class_name": PROXY}
    # The launcher writes no CurveZMQ keys, and EG 3.3's jupyter_client 6 would not send them.
    spec["metadata"].pop("supported_encryption", None)
    # abspath, not realpath: a venv's python is a link whose target would lose the venv.
    spec["argv"] = [os.path.abspath(args.python), launcher, "--swift-kernel", binary,
                    "--RemoteProcessProxy.kernel-id", "{kernel_id}",
                    "--RemoteProcessProxy.response-address", "{response_address}",
                    "--RemoteProcessProxy.public-key", "{public_key}",
                    "--RemoteProcessProxy.port-range", "{port_range}"]
    with open(path, "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    print(f"Installed the kernelspec '{args.name}' in {directory}")


if __name__ == "__main__":
    main()
