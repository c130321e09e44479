#!/usr/bin/env bash
# gpu_check.sh [OUT]: everything that needs a GPU, in one call of under 8 minutes on one H100, with
# logs under OUT (default gpu-logs) and one summary (OUT/summary.log) whose every line gives the
# seconds its part took. Expected on 16 cores and one H100 (estimates until a run replaces them):
#   configure and build (nvcc, benches)                           ~2 min
#   ctest, every test; gpu_test_ops runs the full shape set        ~2 min
#   compute-sanitizer memcheck, racecheck, initcheck, synccheck on
#     the reduced op set (P2P_OP_SHAPES=reduced) and the model
#     and runtime tests                                            ~2 min
#   pix2pix bench (whole step) and the kernel benches, short timing ~1 min
# P2P_CUDA_SYNC=1 is set for the tests, so a failing kernel is named where it fails.
# On a machine without a package registry, first unpack the Debian packages here with
# ../shared/offline-deps.sh .deps (or any prefix in $DEPS); they are picked up from .deps/usr.
# Exit status: non-zero when the build, a test or a sanitizer run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-logs}
mkdir -p "$out"
build=${BUILD_DIR:-build-gpu}
status=0
t0=$SECONDS
note() { echo "$*" | tee -a "$out/summary.log"; }
took() { note "  ($(($SECONDS - t0)) s) $*"; t0=$SECONDS; }

args=(-DCMAKE_BUILD_TYPE=Release)
deps=${DEPS:-.deps}
if [ -d "$deps/usr" ]; then
  args+=("-DCMAKE_PREFIX_PATH=$PWD/$deps/usr" "-Dbenchmark_DIR=$PWD/$deps/usr/lib/x86_64-linux-gnu/cmake/benchmark")
fi
if cudnn=$(python3 -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2> /dev/null); then
  args+=("-DCUDNN_ROOT=$cudnn")
  export LD_LIBRARY_PATH="$cudnn/lib:${LD_LIBRARY_PATH:-}"
fi

note "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null)"
if ! { cmake -S . -B "$build" "${args[@]}" && cmake --build "$build" -j "$(nproc)"; } > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  took "FAILED: configure and build (see $out/build.log)"
  exit 1
fi
took "configure and build"

export P2P_CUDA_SYNC=1
ctest --test-dir "$build" --output-on-failure -j 4 > "$out/ctest.log" 2>&1 || status=1
grep -E "tests passed|Skipped|Failed|\*\*\*" "$out/ctest.log" | tee -a "$out/summary.log"
took "ctest"

export P2P_OP_SHAPES=reduced
for tool in memcheck racecheck initcheck synccheck; do
  for t in gpu_test_ops gpu_test_runtime gpu_test_models; do
    log="$out/sanitizer_${t}_$tool.log"
    if timeout 300 compute-sanitizer --tool "$tool" --error-exitcode 1 "$build/tests/$t" > "$log" 2>&1; then
      took "clean: $tool $t"
    else
      took "FAILED: $tool $t (see $log)"
      status=1
    fi
  done
done
unset P2P_OP_SHAPES

"$build/tools/pix2pix" bench --json "$out/step_bench.json" > "$out/step_bench.log" 2>&1 || status=1
tail -8 "$out/step_bench.log" | tee -a "$out/summary.log"
took "pix2pix bench"
for b in bench_conv bench_norm bench_pointwise; do
  [ -x "$build/bench/$b" ] || { note "not built: $b"; continue; }
  if "$build/bench/$b" --benchmark_min_time=0.05 --benchmark_out="$out/$b.json" --benchmark_out_format=json \
    > "$out/$b.log" 2>&1; then
    took "$b"
  else
    took "FAILED: $b (see $out/$b.log)"
  fi
done
note "status: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
