// A deterministic two-stage float sum over n terms, divided by a divisor, shared by the loss kernels
// (kernels/loss.cu: the means; kernels/vae.cu: the per-image sums averaged over the batch):
//   stage 1: a grid of B = min(256, ceil(n / 256)) blocks of 256 threads (a function of n only).
//            Thread t of the grid sums its terms i = t, t + 256 B, t + 512 B, ... in that order,
//            then each block reduces its 256 sums by a fixed tree (warp shuffles, then the 8 warp
//            sums) into partials[block].
//   stage 2: one block reduces partials[0 .. B) by the same tree and writes sum / divisor.
// Same n, same inputs: same bits, on every run (no atomics). With k = ceil(n / (256 B)) terms per
// thread and a tree of depth <= 16, and every term >= 0 (all the losses), the relative error of
// the sum is at most about (k + 16) 2^-24.
// partials is a fixed static device buffer per translation unit (no allocation per call); the
// kernels run in order on cuda::stream(), so one buffer serves every reduction of that unit.
#pragma once
#include <algorithm>
#include <cstdint>

#include "runtime/launch.h"

namespace p2p::cuda {

namespace {
constexpr int kReduceBlock = 256;  // threads per block in both stages
constexpr int kReduceMaxBlocks = 256;
__device__ float g_partials[kReduceMaxBlocks];

// The sum of v over the block, by a fixed tree; valid in thread 0.
__device__ float block_sum(float v) {
  __shared__ float warp_sums[kReduceBlock / 32];
  for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x < 32) {
    v = threadIdx.x < kReduceBlock / 32 ? warp_sums[threadIdx.x] : 0.0f;
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  }
  return v;
}

template <class Term>
__global__ void __launch_bounds__(kReduceBlock) partial_sums_kernel(int64_t n, Term term) {
  const int64_t stride = (int64_t)gridDim.x * kReduceBlock;
  float s = 0.0f;
  for (int64_t i = blockIdx.x * (int64_t)kReduceBlock + threadIdx.x; i < n; i += stride) s += term(i);
  s = block_sum(s);
  if (threadIdx.x == 0) g_partials[blockIdx.x] = s;
}

__global__ void __launch_bounds__(kReduceBlock) final_divide_kernel(int blocks, float divisor, float* out) {
  float s = block_sum(threadIdx.x < blocks ? g_partials[threadIdx.x] : 0.0f);
  if (threadIdx.x == 0) *out = s / divisor;
}

// *out = (sum of term(i), i < n) / divisor, on the device.
template <class Term>
void sum_divided(int64_t n, Term term, float divisor, float* out) {
  const int blocks = static_cast<int>(std::min<int64_t>(kReduceMaxBlocks, (n + kReduceBlock - 1) / kReduceBlock));
  P2P_LAUNCH(partial_sums_kernel<Term>, blocks, kReduceBlock, n, term);
  P2P_LAUNCH(final_divide_kernel, 1, kReduceBlock, blocks, divisor, out);
}
}  // namespace

}  // namespace p2p::cuda
