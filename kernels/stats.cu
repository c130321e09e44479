// Training-health statistics on the GPU (math and numerics in stats.h): a deterministic two-stage
// reduction of K = 1 or 2 sums, accumulated in double.
//   stage 1: B = min(256, ceil(n / 256)) blocks of 256 threads (a function of n only, never of the
//            grid cap). Thread t of the grid adds the terms of i = t, t + 256 B, ... in that order,
//            then each block reduces its 256 partial sums by a fixed halving tree in shared memory
//            into g_stat_partials[k][block].
//   stage 2: one block reduces the B partials by the same tree and `finish` writes the results.
// No atomics, no order that depends on scheduling: the same n and inputs give the same bits.
// kernels/reduce.cuh is the float twin the losses use; these sums are double because a gradient
// norm over the 54M weights of unet_256 has k = 830 terms per thread, whose float error (~5e-5)
// would exceed a float result's rounding, while in double the result is rounded once, at the end.
// The partials are a static device buffer (no allocation per call); launches run in order on
// cuda::stream(), so one buffer serves every statistic.
#include <algorithm>

#include "kernels/logistic.cuh"
#include "kernels/stats.h"
#include "runtime/launch.h"

namespace p2p::cuda {

namespace {
constexpr int kBlock = 256;  // threads per block in both stages
constexpr int kMaxBlocks = 256;
__device__ double g_stat_partials[2][kMaxBlocks];

// s[k] summed over the block by a fixed tree; the result in every thread's s (after the last barrier).
template <int K>
__device__ void block_sums(double (&s)[K]) {
  __shared__ double sh[K][kBlock];
  for (int k = 0; k < K; ++k) sh[k][threadIdx.x] = s[k];
  __syncthreads();
  for (int w = kBlock / 2; w > 0; w /= 2) {
    if (threadIdx.x < w)
      for (int k = 0; k < K; ++k) sh[k][threadIdx.x] += sh[k][threadIdx.x + w];
    __syncthreads();
  }
  for (int k = 0; k < K; ++k) s[k] = sh[k][0];
}

template <int K, class Term>
__global__ void __launch_bounds__(kBlock) stat_partials_kernel(int64_t n, Term term) {
  double s[K] = {};
  const int64_t stride = (int64_t)gridDim.x * kBlock;
  for (int64_t i = blockIdx.x * (int64_t)kBlock + threadIdx.x; i < n; i += stride) term(i, s);
  block_sums<K>(s);
  if (threadIdx.x == 0)
    for (int k = 0; k < K; ++k) g_stat_partials[k][blockIdx.x] = s[k];
}

template <int K, class Finish>
__global__ void __launch_bounds__(kBlock) stat_final_kernel(int blocks, Finish finish, float* out) {
  double s[K];
  for (int k = 0; k < K; ++k) s[k] = threadIdx.x < blocks ? g_stat_partials[k][threadIdx.x] : 0.0;
  block_sums<K>(s);
  if (threadIdx.x == 0) finish(s, out);
}

template <int K, class Term, class Finish>
void reduce(int64_t n, Term term, Finish finish, float* out) {
  const int blocks = static_cast<int>(std::min<int64_t>(kMaxBlocks, (n + kBlock - 1) / kBlock));
  P2P_LAUNCH((stat_partials_kernel<K, Term>), blocks, kBlock, n, term);
  P2P_LAUNCH((stat_final_kernel<K, Finish>), 1, kBlock, blocks, finish, out);
}

struct Square {  // s0 += x^2 (exact in double)
  const float* x;
  __device__ void operator()(int64_t i, double (&s)[1]) const { s[0] += double(x[i]) * double(x[i]); }
};
struct Sqrt {
  __device__ void operator()(const double (&s)[1], float* out) const { out[0] = float(sqrt(s[0])); }
};

struct Shifted {  // d = x - x_0: s0 += d, s1 += d^2 (both exact in double)
  const float* x;
  __device__ void operator()(int64_t i, double (&s)[2]) const {
    const double d = double(x[i]) - double(x[0]);
    s[0] += d;
    s[1] += d * d;
  }
};
struct MeanStd {
  const float* x;
  int64_t n;
  __device__ void operator()(const double (&s)[2], float* out) const {
    const double m = s[0] / double(n);  // mean - x_0
    out[0] = float(double(x[0]) + m);
    out[1] = float(sqrt(fmax(s[1] / double(n) - m * m, 0.0)));
  }
};

struct Sigmoid {
  const float* x;
  __device__ void operator()(int64_t i, double (&s)[1]) const { s[0] += double(sigmoid(x[i])); }
};
struct Mean {
  int64_t n;
  __device__ void operator()(const double (&s)[1], float* out) const { out[0] = float(s[0] / double(n)); }
};

struct AdamUpdateSquare {  // u formed in float as kernels/adam.cu forms it
  const float *m, *v;
  float eps, step_size, bc2_sqrt;
  __device__ void operator()(int64_t i, double (&s)[1]) const {
    const double u = step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    s[0] += u * u;
  }
};
}  // namespace

void l2_norm(int64_t n, const float* x, float* out) { reduce<1>(n, Square{x}, Sqrt{}, out); }
void moments(int64_t n, const float* x, float* out) { reduce<2>(n, Shifted{x}, MeanStd{x, n}, out); }
void mean_sigmoid(int64_t n, const float* x, float* out) { reduce<1>(n, Sigmoid{x}, Mean{n}, out); }
void adam_update_norm(int64_t n, const float* m, const float* v, float lr, float beta1, float beta2, float eps,
                      int64_t t, float* out) {
  const AdamScalars k = adam_scalars(lr, beta1, beta2, t);
  reduce<1>(n, AdamUpdateSquare{m, v, eps, static_cast<float>(k.step_size), static_cast<float>(k.bc2_sqrt)}, Sqrt{},
            out);
}

}  // namespace p2p::cuda
