#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: builds the fuzz build (FUZZ_BUILD_DIR, default build-fuzz: clang,
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, CPU only) and runs each target
# (default: all of tests/fuzz/readers.h) for SECONDS (default 60), one after the other, on a copy of
# its seed corpus and regressions (tests/fuzz/corpus/<target>/, regressions/<target>/), so the
# repository is never written to. Prints executions and time per target. A finding (crash,
# sanitizer report, uncaught exception, timeout, memory limit) fails the run; its input is kept under
# FUZZ_BUILD_DIR/findings/<target>/: add it to tests/fuzz/regressions/<target>/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_image fuzz_probe fuzz_safetensors fuzz_json fuzz_dataset)
build=${FUZZ_BUILD_DIR:-build-fuzz}

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP2P_FUZZ=ON -DP2P_WITH_CUDA=OFF \
  -DP2P_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=()
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  findings=$PWD/$build/findings/$t
  mkdir -p "$findings"
  cp tests/fuzz/corpus/"$t"/* "$work"/
  [ -d tests/fuzz/regressions/"$t" ] && cp tests/fuzz/regressions/"$t"/* "$work"/
  log=$PWD/$build/findings/$t.log
  t0=$SECONDS
  # -timeout: one input taking 10 s is a finding; -rss_limit_mb: so is a reader needing 2 GiB.
  rc=0
  "$build/tests/fuzz/$t" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "$work" -type f | wc -l)
  rm -rf "$work"
  elapsed=$((SECONDS - t0))
  if [ "$rc" -ne 0 ]; then
    echo "fuzz.sh: $t FOUND A PROBLEM after $execs executions, $elapsed s (exit $rc); log $log; input:" \
      "$(ls -t "$findings"/* 2>/dev/null | head -1)"
    grep -m3 -E 'ERROR|runtime error|SUMMARY|uncaught' "$log" || tail -5 "$log"
    failed+=("$t")
  else
    echo "fuzz.sh: $t: $execs executions in $elapsed s ($((execs / (elapsed > 0 ? elapsed : 1))) exec/s)," \
      "corpus $corpus files, no finding"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
