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

// After a kernel launch: catches bad launch configurations at the launch site.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

namespace p2p::cuda {

// The stream every kernel launches on. A single stream keeps ordering simple and lets the whole
// training step be captured into one CUDA graph.
cudaStream_t stream();
void set_stream(cudaStream_t s);

inline unsigned grid_for(int64_t n, int block) {
  int64_t g = (n + block - 1) / block;
  return static_cast<unsigned>(g < 65535 * 32 ? g : 65535 * 32);
}

}  // namespace p2p::cuda
