// A pointwise map over n floats, shared by the elementwise CUDA kernels (activations, loss
// gradients, Adam): out_k[i] = f(i, in_0[i], ..., in_{NI-1}[i])_k for k < NO.
//
// Four elements per thread through float4 when every pointer is 16-byte aligned, then a scalar tail
// for n % 4 (or for everything when some pointer is not aligned, e.g. a view at an odd offset). Each
// thread reads all its inputs before writing its outputs, so an output may alias an input
// (in-place activations, Adam's p, m and v).
//
// The functor: struct F { __device__ void operator()(int64_t i, const float (&in)[NI], float (&out)[NO]) const; }
#pragma once
#include <cstdint>

#include "runtime/launch.h"

namespace p2p::cuda {

template <int NI, int NO>
struct MapBuffers {
  const float* in[NI];
  float* out[NO];
};

template <int NI, int NO, class F>
__global__ void pointwise_map_kernel(int64_t n, bool vec, MapBuffers<NI, NO> b, F f) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  const int64_t i0 = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
  const int64_t n4 = vec ? n / 4 : 0;
  for (int64_t i = i0; i < n4; i += stride) {
    float4 a[NI], o[NO];
#pragma unroll
    for (int k = 0; k < NI; ++k) a[k] = reinterpret_cast<const float4*>(b.in[k])[i];
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
      float x[NI], y[NO];
#pragma unroll
      for (int k = 0; k < NI; ++k) x[k] = reinterpret_cast<const float*>(&a[k])[lane];
      f(4 * i + lane, x, y);
#pragma unroll
      for (int k = 0; k < NO; ++k) reinterpret_cast<float*>(&o[k])[lane] = y[k];
    }
#pragma unroll
    for (int k = 0; k < NO; ++k) reinterpret_cast<float4*>(b.out[k])[i] = o[k];
  }
  for (int64_t i = 4 * n4 + i0; i < n; i += stride) {
    float x[NI], y[NO];
#pragma unroll
    for (int k = 0; k < NI; ++k) x[k] = b.in[k][i];
    f(i, x, y);
#pragma unroll
    for (int k = 0; k < NO; ++k) b.out[k][i] = y[k];
  }
}

template <int NI, int NO, class F>
void pointwise_map(int64_t n, const MapBuffers<NI, NO>& b, F f) {
  if (n == 0) return;
  uintptr_t bits = 0;
  for (int k = 0; k < NI; ++k) bits |= reinterpret_cast<uintptr_t>(b.in[k]);
  for (int k = 0; k < NO; ++k) bits |= reinterpret_cast<uintptr_t>(b.out[k]);
  const bool vec = (bits & 15) == 0;
  P2P_LAUNCH((pointwise_map_kernel<NI, NO, F>), grid_for(vec ? (n + 3) / 4 : n, 256), 256, n, vec, b, f);
}

}  // namespace p2p::cuda
