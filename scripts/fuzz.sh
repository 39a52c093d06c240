#!/usr/bin/env bash
# Fuzzes what the kernel reads from outside with libFuzzer: scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET…].
# Builds the fuzz targets (Fuzz/, in Package.swift only when SWIFT_KERNEL_FUZZ=1) in .build-fuzz with
# -sanitize=fuzzer,address, runs each for SECONDS (default 60) from the committed seeds in Fuzz/corpus/<TARGET>,
# and prints the executions and findings of each. Not part of the test command; a finding becomes a unit test.
# Inputs the run found are kept in .build-fuzz/corpus/<TARGET>, findings in .build-fuzz/findings/<TARGET>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzWire FuzzJSON FuzzConnection FuzzNotebook FuzzHistory FuzzMagics FuzzPackageLine)
export SWIFT_KERNEL_FUZZ=1
scratch=.build-fuzz
# Debug: testable imports reach the internal parsers (Magics, PackageRequest, HistoryQuery). The first build
# also compiles swift-crypto, and for FuzzMagics/FuzzPackageLine swift-syntax (ExecutorHost needs it): minutes.
flags=(-c debug --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
for target in "${targets[@]}"; do
  echo "fuzz: building $target"
  nice -n 10 swift build "${flags[@]}" --product "$target" 2>&1 | { grep -E "error|warning: .*Fuzz/|Compiling Fuzz|Build complete" || true; }
done
bin="$(swift build "${flags[@]}" --show-bin-path)"

summary=()
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  findings="$scratch/findings/$target"
  mkdir -p "$corpus" "$findings"
  cp -n Fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  log="$scratch/findings/$target.log"
  echo "fuzz: running $target for $seconds s"
  started=$(date +%s)
  stamp="$scratch/findings/.$target.started"
  touch "$stamp"
  status=0
  # Leak reports are off: the properties are about answers and traps, and Swift's runtime caches look like leaks.
  # Swift's backtracer is off too: AddressSanitizer flags its reads of the crashed stack, and libFuzzer reports.
  ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no nice -n 10 "$bin/$target" "$corpus" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  # This run's findings only: the folder keeps earlier runs' too.
  found=$(find "$findings" -type f -newer "$stamp" | wc -l)
  summary+=("$(printf '%-16s %6s s %12s executions  %s findings%s' "$target" "$(( $(date +%s) - started ))" \
    "$runs" "$found" "$([ $status -ne 0 ] && echo "  (stopped: see $log)")")")
  if [ $status -ne 0 ]; then
    grep -E "property failed|Fatal error|ERROR: (AddressSanitizer|libFuzzer)|^SUMMARY" "$log" | head -5 | cut -c1-300 || true
  fi
done
echo
echo "fuzz: results ($seconds s per target)"
printf '%s\n' "${summary[@]}"
