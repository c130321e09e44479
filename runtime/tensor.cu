#include "runtime/launch.h"
#include "runtime/tensor_cuda.h"

namespace p2p::cuda {

__global__ void fill_kernel(float* p, int64_t n, float value) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    p[i] = value;
}

void fill(float* p, int64_t n, float value) {
  if (n == 0) return;
  P2P_LAUNCH(fill_kernel, grid_for(n, 256), 256, p, n, value);
}

}  // namespace p2p::cuda
