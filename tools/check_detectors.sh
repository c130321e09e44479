#!/usr/bin/env bash
# check_detectors.sh [WORKDIR]: shows that the CUDA emulation's checks catch the bugs they are for.
# In a copy of the committed tree, built once in emulation under the sanitizers, it plants one bug
# at a time, rebuilds the op tests (only the changed file recompiles) and expects them to FAIL:
#   1. race       conv2d.cu: the __syncthreads that ends each step of the double-buffered GEMM loop
#                 is deleted: threads read shared tiles others have not stored yet, so the result
#                 depends on the schedule (the reference and schedule checks fail)
#   2. bounds     elementwise.cu: axpy's tail loop runs to i <= n: AddressSanitizer reports the read
#                 and write one element past the tensors (exact-size allocations)
#   3. shuffle    batch_norm2d.cu: the warp tree reduction shuffles down by off + 1: the emulation's
#                 warp collectives give lanes the wrong partners (the reference check fails)
# Then the unmodified tree must pass. Exit status 0 when every planted bug was caught.
set -uo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d)}
src=$work/src
build=$work/build
rm -rf "$src"
mkdir -p "$src"
git archive HEAD | tar -x -C "$src"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DP2P_CUDA_EMULATION=ON -DP2P_SANITIZE=address,undefined \
  > "$work/configure.log" || exit 1

# run NAME FILE SED-EXPRESSION TEST-FILTER: plants the bug (none when FILE is empty), rebuilds, runs.
status=0
run() {
  local name=$1 file=$2 expr=$3 filter=$4
  if [ -n "$file" ]; then
    cp "$src/$file" "$work/saved"
    sed -i "$expr" "$src/$file"
    if cmp -s "$src/$file" "$work/saved"; then
      echo "$name: the planted change did not apply to $file" && status=1 && return
    fi
  fi
  if ! cmake --build "$build" -j "$(nproc)" --target gpu_test_ops > "$work/$name.build.log" 2>&1; then
    echo "$name: build failed (see $work/$name.build.log)" && status=1
  elif "$build/tests/gpu_test_ops" "$filter" > "$work/$name.log" 2>&1; then
    if [ -n "$file" ]; then echo "$name: NOT caught (see $work/$name.log)" && status=1; else echo "$name: passes"; fi
  else
    if [ -n "$file" ]; then
      echo "$name: caught: $(grep -c -- '<-- FAIL' "$work/$name.log") failed checks, first:" \
        "$(grep -m1 -E 'ERROR: AddressSanitizer|runtime error|<-- FAIL' "$work/$name.log" | sed 's/^ *//')"
    else
      echo "$name: FAILS (see $work/$name.log)" && status=1
    fi
  fi
  [ -n "$file" ] && cp "$work/saved" "$src/$file"
}
run race kernels/conv2d.cu '/index(tile + 2, cur);/{n;s/__syncthreads();/\/\/ (barrier removed)/}' "[conv]"
run bounds kernels/elementwise.cu 's/for (int64_t i = 4 \* n4 + i0; i < n; i += stride)/for (int64_t i = 4 * n4 + i0; i <= n; i += stride)/' "[pointwise]"
run shuffle kernels/batch_norm2d.cu 's/a = merge(a, shfl_down(a, off));/a = merge(a, shfl_down(a, off + 1));/' "[norm]"
run unmodified "" "" "[ops]"
exit $status
