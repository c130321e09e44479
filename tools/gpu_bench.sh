#!/usr/bin/env bash
# gpu_bench.sh [--dry-run] [OUT]: issue 12's one prepared GPU measurement, in one call on one GPU
# (under 6 minutes on an H100, the build included). Logs and raw JSON go to OUT (default bench-logs);
# the result to bench/results/<date>-<gpu>.json and .md (bench/perf_report.py combine):
#   every pix2pix conv layer (unet_256 and the 70x70 PatchGAN, batch 1 and 16; forward,
#     backward-data, backward-weight): ours beside cuDNN FP32 and TF32, best algorithm, same layout
#     (bench_conv; each of ours autotuned at its first call, the warm-up);
#   the whole step (gan bench) at batch 1 and 16: ms/step, images/s, cudaMalloc calls after warm-up.
# Then regenerate the README's performance section: bench/perf_report.py readme README.md.
#
# --dry-run: where no GPU is lent (CI: ctest gpu_bench_dry_run), the same pipeline in the CUDA
# emulation build (BUILD_DIR, default build-emu; bench_conv without cuDNN), one tiny case per
# benchmark (the innermost U-Net conv's forward at batch 1; a 32x32 step of a 5-level U-Net),
# results to OUT, not bench/results. Its times mean nothing; that it runs and gives the JSON and
# the table is the check.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=0
if [ "${1:-}" = --dry-run ]; then
  dry=1
  shift
fi
out=${1:-bench-logs}
mkdir -p "$out"
t0=$SECONDS

if [ $dry = 1 ]; then
  build=${BUILD_DIR:-build-emu}
  [ -f "$build/CMakeCache.txt" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DP2P_CUDA_EMULATION=ON
  conv_args=(--benchmark_filter='^conv/G\.down8\.[^/]*/n1/forward/ours' --benchmark_min_time=0.000001)
  step_args=(--size 32 --num-downs 5 --ngf 4 --ndf 4 --batch-sizes 1 --warmup 1 --iters 1 --threads 0)
  results=$out
else
  build=${BUILD_DIR:-build-gpu}
  # shellcheck source=tools/gpu_env.sh
  . tools/gpu_env.sh
  cmake -S . -B "$build" "${cmake_args[@]}" > "$out/configure.log"
  conv_args=(--benchmark_min_time=0.02)
  step_args=(--batch-sizes "1,16")
  results=bench/results
fi
cmake --build "$build" -j "$(nproc)" --target gan bench_conv > "$out/build.log"
echo "built in $((SECONDS - t0)) s"

"$build/bench/bench_conv" "${conv_args[@]}" --benchmark_out="$out/conv.json" --benchmark_out_format=json \
  > "$out/conv.log"
echo "bench_conv done at $((SECONDS - t0)) s"
"$build/tools/gan" bench --device cuda "${step_args[@]}" --json "$out/step.json" > "$out/step.log"
echo "gan bench done at $((SECONDS - t0)) s"

commit=$(git rev-parse --short HEAD 2> /dev/null || echo unknown)
flags=()
[ $dry = 1 ] && flags=(--dry-run)
json=$(python3 bench/perf_report.py combine --conv "$out/conv.json" --step "$out/step.json" --commit "$commit" \
  "${flags[@]}" --out-dir "$results")
cat "${json%.json}.md"
echo "wrote $json and ${json%.json}.md in $((SECONDS - t0)) s"
