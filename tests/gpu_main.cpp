// The Catch2 main for the GPU test executables: without a usable GPU it exits with 77, which ctest
// reports as skipped (SKIP_RETURN_CODE), never as passed.
#define CATCH_CONFIG_RUNNER
#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "runtime/device.h"

int main(int argc, char* argv[]) {
  // The full op shapes make and drop many host arrays of 100 MB and more. glibc serves each from a
  // fresh mmap and unmaps it on free, so the kernel zeroes every page again: on the H100 machine
  // gpu_test_ops [pointwise] ran past 240 s, here half its time was spent clearing pages. Served from
  // the heap, never trimmed, freed arrays are reused: the full pointwise cases' reference checks on
  // the CPU here took 37 s instead of 71 s (system time 19 s instead of 52 s).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, -1);
  if (!p2p::cuda_available()) {
    std::printf("SKIPPED: %s\n", p2p::cuda_device_info().c_str());
    return 77;
  }
  std::printf("GPU: %s\n", p2p::cuda_device_info().c_str());
  return Catch::Session().run(argc, argv);
}
