#!/usr/bin/env bash
# Runs every test: the Swift Testing units and the end-to-end suite through real Jupyter clients.
# The main job's build (release, with testable imports, in .build) and the test targets on top: after the
# main job, only the tests are compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --tests

echo "test: building (release, testable, with the tests)"
started=$(date +%s)
# Package.swift makes every warning in the project's own targets an error (`strict`), so a warning fails
# this build whether it is clean or incremental. The count below catches what that cannot: a target
# added without `strict`. It sees only the files this build compiled (a clean build, as CI's, sees all).
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
swift build -c release -Xswiftc -enable-testing --build-tests 2>&1 | tee "$build_log"
echo "test: the build took $(( $(date +%s) - started )) s"
own_warnings=$({ grep -F "$PWD/Sources/" "$build_log" || true; } | { grep -E ':[0-9]+:[0-9]+: warning:' || true; } \
  | sort -u | wc -l)
if [ "$own_warnings" -gt 0 ]; then
  echo "test: the build printed $own_warnings warnings from Sources/; the project's own code has none" >&2
  exit 1
fi

echo "test: Swift Testing units"
swift test -c release -Xswiftc -enable-testing --skip-build

echo "test: end to end through jupyter_client, jupyter_kernel_test, nbclient, jupyter console, JupyterLab in Chromium"
export SWIFT_KERNEL_BIN="$PWD/.build/release/swift-kernel"
.venv/bin/python -m pytest -q Tests/python
