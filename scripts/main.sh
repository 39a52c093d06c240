#!/usr/bin/env bash
# The main job: installs what is missing, builds in release, installs the kernelspec "swift"
# (display name "Swift (Classification)"), and executes the example notebooks headless into results/.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

echo "main: building (release)"
swift build -c release
binary="$PWD/.build/release/swift-kernel"
"$binary" install --user            # for JupyterLab, Notebook and jupyter console of this user
"$binary" install --prefix .venv    # for the venv's clients (nbclient, nbconvert, papermill)

mkdir -p results
status=0
for notebook in Notebooks/*.ipynb; do
  echo "main: executing $notebook"
  if ! .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=swift \
      --ExecutePreprocessor.timeout=1800 --output-dir results --log-level WARN "$notebook"; then
    echo "main: $notebook failed" >&2
    status=1
  fi
done
echo
echo "Executed notebooks are in $PWD/results:"
ls -1 results/*.ipynb
echo "Open them with: .venv/bin/jupyter lab results/ (or any Jupyter), kernel \"Swift (Classification)\"."
exit $status
