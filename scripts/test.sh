#!/usr/bin/env bash
# Runs every test: the Swift Testing units and the end-to-end suite through real Jupyter clients.
# The main job's build (release, with testable imports, in .build) and the test targets on top: after the
# main job, only the tests are compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --tests

echo "test: building (release, testable, with the tests)"
started=$(date +%s)
swift build -c release -Xswiftc -enable-testing --build-tests
echo "test: the build took $(( $(date +%s) - started )) s"

echo "test: Swift Testing units"
swift test -c release -Xswiftc -enable-testing --skip-build

echo "test: end to end through jupyter_client, jupyter_kernel_test, nbclient, jupyter console, JupyterLab in Chromium"
export SWIFT_KERNEL_BIN="$PWD/.build/release/swift-kernel"
.venv/bin/python -m pytest -q Tests/python
