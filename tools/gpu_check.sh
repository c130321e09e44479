#!/usr/bin/env bash
# gpu_check.sh [OUT]: everything that needs a GPU, in one call on one H100, with logs under OUT
# (default gpu-logs) and one summary (OUT/summary.log) whose every line gives the seconds its part
# took. Parts run in order of value, and a part that would start after DEADLINE seconds (default
# 480) is skipped and listed as skipped, so a lease is never spent on a run that returns nothing:
#   configure and build (nvcc, benches)
#   ctest, every test; gpu_test_ops runs the full shape set
#   gan bench (whole step) and the kernel benches, short timing
#   compute-sanitizer memcheck on the reduced op set (P2P_OP_SHAPES=reduced, without the forced
#     [conv_config] runs) and the model and runtime tests; then racecheck, initcheck and synccheck on
#     the same, each run capped at SANITIZER_TIMEOUT seconds (default 120; a run cut there with no
#     error in its log is listed as incomplete)
# P2P_CUDA_SYNC=1 is set for the tests, so a failing kernel is named where it fails.
# Dependencies on a machine without a package registry: see tools/gpu_env.sh.
# Exit status: non-zero when the build, a test or a sanitizer run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-logs}
mkdir -p "$out"
build=${BUILD_DIR:-build-gpu}
deadline=${DEADLINE:-480}
san_timeout=${SANITIZER_TIMEOUT:-120}
status=0
t0=$SECONDS
note() { echo "$*" | tee -a "$out/summary.log"; }
took() { note "  ($(($SECONDS - t0)) s, $SECONDS s in all) $*"; t0=$SECONDS; }
in_time() { [ "$SECONDS" -lt "$deadline" ] || { note "  skipped (past ${deadline} s): $*"; return 1; }; }

# shellcheck source=tools/gpu_env.sh
. tools/gpu_env.sh

note "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null)"
if ! { cmake -S . -B "$build" "${cmake_args[@]}" && cmake --build "$build" -j "$(nproc)" -- -k; } > "$out/build.log" 2>&1; then
  grep -E -A3 "error|Error" "$out/build.log" | head -60
  took "FAILED: configure and build (see $out/build.log)"
  exit 1
fi
took "configure and build"

export P2P_CUDA_SYNC=1
if in_time ctest; then
  ctest --test-dir "$build" --output-on-failure -j 8 --timeout 240 > "$out/ctest.log" 2>&1 || status=1
  grep -E "tests passed|Skipped|Failed|\*\*\*|Not Run" "$out/ctest.log" | tee -a "$out/summary.log"
  took "ctest"
fi

if in_time "gan bench"; then
  "$build/tools/gan" bench --json "$out/step_bench.json" > "$out/step_bench.log" 2>&1 || status=1
  tail -8 "$out/step_bench.log" | tee -a "$out/summary.log"
  took "gan bench"
fi
for b in bench_conv bench_norm bench_pointwise; do
  [ -x "$build/bench/$b" ] || { note "not built: $b"; continue; }
  in_time "$b" || continue
  if "$build/bench/$b" --benchmark_min_time=0.05 --benchmark_out="$out/$b.json" --benchmark_out_format=json \
    > "$out/$b.log" 2>&1; then
    took "$b"
  else
    took "FAILED: $b (see $out/$b.log)"
  fi
done

export P2P_OP_SHAPES=reduced
# The op cases under the sanitizers leave out [conv_config] (the same kernels forced into eight more
# configurations: minutes under a sanitizer; every kernel and both precisions run in the rest). A run
# cut at the cap is reported as incomplete, not as clean, and as failed only when its log already
# shows an error.
for tool in memcheck racecheck initcheck synccheck; do
  for t in gpu_test_ops gpu_test_runtime gpu_test_models; do
    in_time "$tool $t" || continue
    log="$out/sanitizer_${t}_$tool.log"
    filter=()
    [ "$t" = gpu_test_ops ] && filter=("~[conv_config]")
    timeout "$san_timeout" compute-sanitizer --tool "$tool" --error-exitcode 1 "$build/tests/$t" "${filter[@]}" \
      > "$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      took "clean: $tool $t"
    elif [ $rc -eq 124 ] && ! grep -qE "^========= .*(Invalid|[Hh]azard|Uninitialized|Barrier|[Ee]rror)" "$log"; then
      took "incomplete (cut at ${san_timeout} s, no error before): $tool $t"
    else
      took "FAILED (exit $rc): $tool $t (see $log)"
      status=1
    fi
  done
done
unset P2P_OP_SHAPES
note "status: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
