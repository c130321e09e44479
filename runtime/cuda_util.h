// CUDA helpers for .cu files and CUDA-only code: checked calls, the current stream, grid sizes.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "runtime/check.h"

// Every CUDA runtime call goes through CUDA_CHECK; the error names the call, the file and the line.
#define CUDA_CHECK(expr)                                                                             \
  do {                                                                                               \
    cudaError_t p2p_err_ = (expr);                                                                   \
    if (p2p_err_ != cudaSuccess)                                                                     \
      ::p2p::fail(__FILE__, __LINE__,                                                                \
                  std::string("CUDA error in ") + #expr + ": " + cudaGetErrorName(p2p_err_) + " (" + \
                      cudaGetErrorString(p2p_err_) + ")");                                           \
  } while (0)

namespace p2p::cuda {

// The stream every kernel launches on. A single stream keeps ordering simple and lets the whole
// training step be captured into one CUDA graph.
cudaStream_t stream();
void set_stream(cudaStream_t s);

// Blocks for n items, block threads each, for a grid-stride loop: at most grid_cap() blocks.
unsigned grid_for(int64_t n, int block);
// The cap: 65535 * 32 by default. Tests lower it (set_grid_cap, or P2P_GRID_CAP in the environment) so
// that every grid-stride loop makes more than one pass; 0 restores the default.
unsigned grid_cap();
void set_grid_cap(unsigned blocks);

// After a kernel launch (runtime/launch.h): the launch error, and with P2P_CUDA_SYNC=1 the kernel's
// own, each naming the kernel.
void check_launch(const char* kernel);

}  // namespace p2p::cuda
