#include "kernels/elementwise.h"
#include "runtime/launch.h"

namespace p2p::cuda {

// Four elements per thread through float4 when both pointers are 16-byte aligned; a scalar tail.
__global__ void axpy_kernel(int64_t n, float alpha, const float* __restrict__ x, float* __restrict__ y) {
  int64_t stride = (int64_t)gridDim.x * blockDim.x;
  int64_t i0 = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  bool vec = ((reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  int64_t n4 = vec ? n / 4 : 0;
  for (int64_t i = i0; i < n4; i += stride) {
    float4 a = reinterpret_cast<const float4*>(x)[i];
    float4 b = reinterpret_cast<float4*>(y)[i];
    b.x += alpha * a.x;
    b.y += alpha * a.y;
    b.z += alpha * a.z;
    b.w += alpha * a.w;
    reinterpret_cast<float4*>(y)[i] = b;
  }
  for (int64_t i = 4 * n4 + i0; i < n; i += stride) y[i] += alpha * x[i];
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
  if (n == 0) return;
  P2P_LAUNCH(axpy_kernel, grid_for((n + 3) / 4, 256), 256, n, alpha, x, y);
}

}  // namespace p2p::cuda
