#!/usr/bin/env bash
# test.sh: from a fresh clone, install the dependencies, build, and run every test through ctest, in
# two builds:
#   normal     (BUILD_DIR, default build): CUDA kernels compiled by nvcc when it is present; the CPU
#              tests run, the GPU tests run on a GPU and are reported as skipped without one.
#   emulation  (EMU_BUILD_DIR, default build-emu-asan): the CUDA kernels compiled by g++ and run on the CPU
#              (runtime/emu) under AddressSanitizer and UndefinedBehaviorSanitizer, so that every GPU
#              test runs here too, and reports of out-of-bounds reads, races between schedules and
#              misaligned accesses fail the run.
#   fuzz       (FUZZ_BUILD_DIR, default build-fuzz): tools/fuzz.sh runs every fuzz target of tests/fuzz
#              for FUZZ_SECONDS (default 45) under AddressSanitizer and UndefinedBehaviorSanitizer; a
#              crash, a sanitizer report or an unclear error fails the run.
#   BUILDS (default "normal emulation fuzz"), JOBS (default: all cores), CMAKE_ARGS (extra configure flags
#   for both builds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
jobs=${JOBS:-$(nproc)}

build_and_test() {  # dir, configure flags...
  local dir=$1
  shift
  local t0=$SECONDS
  # shellcheck disable=SC2086
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" ${CMAKE_ARGS:-}
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
  echo "test.sh: $dir built and tested in $((SECONDS - t0)) s"
}

for b in ${BUILDS:-normal emulation fuzz}; do
  case $b in
    normal) build_and_test "${BUILD_DIR:-build}" ;;
    emulation)
      # halt_on_error: the first report fails the test; the fibers switch stacks with ASan's
      # annotations (runtime/emu/block.cpp).
      export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
      export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
      build_and_test "${EMU_BUILD_DIR:-build-emu-asan}" -DP2P_CUDA_EMULATION=ON -DP2P_SANITIZE=address,undefined
      ;;
    fuzz)
      t0=$SECONDS
      bash tools/fuzz.sh "${FUZZ_SECONDS:-45}"
      echo "test.sh: ${FUZZ_BUILD_DIR:-build-fuzz} built and fuzzed in $((SECONDS - t0)) s"
      ;;
    *)
      echo "test.sh: unknown build '$b' (expected normal, emulation or fuzz)" >&2
      exit 2
      ;;
  esac
done
