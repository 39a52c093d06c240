#!/usr/bin/env bash
# Runs every test: the Swift Testing units and the end-to-end suite through real Jupyter clients.
# One release build with testable imports, in its own scratch folder (.build-test).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

scratch=.build-test
echo "test: building (release, testable) in $scratch"
swift build -c release -Xswiftc -enable-testing --build-tests --scratch-path "$scratch"

echo "test: Swift Testing units"
swift test -c release -Xswiftc -enable-testing --skip-build --scratch-path "$scratch"

echo "test: end to end through jupyter_client, jupyter_kernel_test, nbclient"
export SWIFT_KERNEL_BIN="$PWD/$scratch/release/swift-kernel"
.venv/bin/python -m pytest -q Tests/python
