"""Installs the kernelspec of the build under test into a private Jupyter path for the whole run.

The binary is $SWIFT_KERNEL_BIN, else .build/release/swift-kernel, else .build/debug/swift-kernel."""
import atexit
import os
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def kernel_binary():
    if os.environ.get("SWIFT_KERNEL_BIN"):
        return os.environ["SWIFT_KERNEL_BIN"]
    for config in ("release", "debug"):
        path = os.path.join(ROOT, ".build", config, "swift-kernel")
        if os.path.exists(path):
            return path
    raise RuntimeError("build the kernel first: swift build -c release")


BINARY = kernel_binary()
_prefix = tempfile.mkdtemp(prefix="swift-kernel-test-")
atexit.register(shutil.rmtree, _prefix, ignore_errors=True)
subprocess.run([BINARY, "install", "--prefix", _prefix], check=True, stdout=subprocess.DEVNULL)
# Only our kernelspec: JUPYTER_PATH comes first in jupyter_client's search.
os.environ["JUPYTER_PATH"] = os.path.join(_prefix, "share", "jupyter")
# The kernels' history database (JUPYTER_DATA_DIR/swift-kernel/history.sqlite) is this run's own.
os.environ["JUPYTER_DATA_DIR"] = os.path.join(_prefix, "data")
