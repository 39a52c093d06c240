#!/usr/bin/env bash
# The main job: installs what is missing, builds in release, installs the kernelspec "swift"
# (display name "Swift (Classification)"), and executes the example notebooks headless into results/
# with `swift-kernel run`, printing each one's final validation accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# The same build the test command uses (release, with testable imports, in .build): the tests then
# only build their own targets.
echo "main: building (release)"
swift build -c release -Xswiftc -enable-testing
binary="$PWD/.build/release/swift-kernel"
"$binary" install --user            # for JupyterLab, Notebook and jupyter console of this user
"$binary" install --prefix .venv    # for the venv's clients (nbclient, nbconvert, papermill)

mkdir -p results
status=0
summary=""
for notebook in Notebooks/*.ipynb; do
  name=$(basename "$notebook" .ipynb)
  echo "main: executing $notebook"
  if "$binary" run "$notebook" -o "results/$name.ipynb" --timeout 3600; then
    accuracy=$(.venv/bin/python -c "
import json, sys
nb = json.load(open('results/$name.ipynb'))
lines = [l for c in nb['cells'] for o in c.get('outputs', []) for l in ''.join(o.get('text', '')).splitlines() if 'final validation accuracy' in l]
print(lines[-1].split()[-1] if lines else '-')")
    summary+=$(printf '\n  %-34s final validation accuracy %s' "results/$name.ipynb" "$accuracy")
  else
    echo "main: $notebook failed" >&2
    summary+=$(printf '\n  %-34s FAILED' "results/$name.ipynb")
    status=1
  fi
done
echo
echo "Executed notebooks are in $PWD/results:$summary"
echo
echo "Open them with: .venv/bin/jupyter lab results/ (kernel \"Swift (Classification)\")."
exit $status
