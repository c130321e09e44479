#!/usr/bin/env bash
# gpu_check.sh [OUT]: everything that needs a GPU, in one go, with logs under OUT (default gpu-logs):
# build, the whole ctest suite (GPU tests included), compute-sanitizer memcheck and racecheck on
# each GPU test binary, the whole-step benchmark and the per-kernel cuDNN / cuBLAS benchmarks.
# On a machine without a package registry, first unpack the Debian packages here with
# ../shared/offline-deps.sh .deps (or any prefix in $DEPS); they are picked up from .deps/usr.
# Exit status: non-zero when the build, a test or a sanitizer run fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-logs}
mkdir -p "$out"
build=${BUILD_DIR:-build-gpu}
status=0
step() { printf '\n== %s\n' "$*" | tee -a "$out/summary.log"; }

args=(-DCMAKE_BUILD_TYPE=Release)
deps=${DEPS:-.deps}
if [ -d "$deps/usr" ]; then
  args+=("-DCMAKE_PREFIX_PATH=$PWD/$deps/usr" "-Dbenchmark_DIR=$PWD/$deps/usr/lib/x86_64-linux-gnu/cmake/benchmark")
fi
if cudnn=$(python3 -c 'import nvidia.cudnn as m; print(m.__path__[0])' 2> /dev/null); then
  args+=("-DCUDNN_ROOT=$cudnn")
  export LD_LIBRARY_PATH="$cudnn/lib:${LD_LIBRARY_PATH:-}"
fi

step "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null)"
step "configure and build ($build)"
if ! { cmake -S . -B "$build" "${args[@]}" && cmake --build "$build" -j "$(nproc)"; } > "$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  exit 1
fi

step "ctest (all tests; GPU ones must pass, not skip)"
ctest --test-dir "$build" --output-on-failure -j 4 > "$out/ctest.log" 2>&1 || status=1
grep -E "tests passed|Skipped|Failed|\*\*\*" "$out/ctest.log" | tee -a "$out/summary.log"

step "compute-sanitizer memcheck and racecheck"
for t in "$build"/tests/gpu_test_*; do
  for tool in memcheck racecheck; do
    log="$out/sanitizer_$(basename "$t")_$tool.log"
    if timeout 900 compute-sanitizer --tool "$tool" --error-exitcode 1 "$t" > "$log" 2>&1; then
      echo "clean: $tool $(basename "$t")" | tee -a "$out/summary.log"
    else
      echo "FAILED: $tool $(basename "$t") (see $log)" | tee -a "$out/summary.log"
      status=1
    fi
  done
done

step "whole-step benchmark"
"$build/tools/pix2pix" bench --json "$out/step_bench.json" 2>&1 | tee "$out/step_bench.log" | tail -8

step "kernel benchmarks against cuDNN / cuBLAS"
for b in bench_conv bench_norm bench_pointwise; do
  [ -x "$build/bench/$b" ] || { echo "not built: $b" | tee -a "$out/summary.log"; continue; }
  "$build/bench/$b" --benchmark_min_time=0.1 --benchmark_out="$out/$b.json" --benchmark_out_format=json \
    > "$out/$b.log" 2>&1 || echo "FAILED: $b (see $out/$b.log)" | tee -a "$out/summary.log"
done
exit $status
