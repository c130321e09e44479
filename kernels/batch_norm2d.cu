// batch_norm2d CUDA kernels. The math is in batch_norm2d.h; the CPU reference in batch_norm2d.cpp is
// the specification these kernels match. NCHW; dx written, dgamma/dbeta accumulated (+=).
//
// Every kernel sees the tensor as `groups` statistics groups (the channels), each made of `runs`
// contiguous runs of hw values (the images): value i of run r of group k sits at (r*groups + k)*hw + i.
// instance_norm2d.cu calls these launchers with groups = N*C and runs = 1.
//
// Reductions are deterministic, with no atomics: the M = runs*hw values of a group are cut into a
// fixed number of chunks that depends only on the shape; one block reduces one chunk (each thread a
// fixed strided subset, then warp shuffles and a block tree) into a workspace (one for the family,
// kept: cuda::grown_workspace), and one warp per group then combines that group's chunks in a fixed
// order.
//   Forward training:  chunk moments (Welford: count, mean, sum of squared deviations; combined with
//                      Chan's formula, never E[x^2] - E[x]^2) -> mean, invstd, running statistics
//                      -> normalise pass.
//   Backward:          chunk sums of g and g*xhat -> dgamma, dbeta and the two means the dx pass
//                      needs -> dx pass. Eval uses the same kernels with the running statistics
//                      and no centering terms.
// Elementwise passes and chunk loads use float4 when hw % 4 == 0 and every pointer is 16-byte aligned.
#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "kernels/batch_norm2d.h"
#include "runtime/launch.h"
#include "runtime/tensor_cuda.h"

namespace p2p::cuda {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;

// The geometry in units of V-float vectors: hw_v = hw / V.
struct Layout {
  int groups, runs;
  int64_t hw_v;
  __host__ __device__ int64_t group_vectors() const { return runs * hw_v; }
  __device__ int64_t chunk_end(int64_t begin, int64_t chunk) const {
    return begin + chunk < group_vectors() ? begin + chunk : group_vectors();
  }
};

// Float4 when hw divides into fours and all the given pointers are 16-byte aligned, else scalars.
int vector_width(int64_t hw, std::initializer_list<const float*> ptrs) {
  if (hw % 4 != 0) return 1;
  for (const float* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return 1;
  return 4;
}
Layout layout(const NormGeom& g, int v) { return Layout{g.c, g.n, g.hw() / v}; }

// The chunk results of the reductions below.
float* scratch(int64_t floats) {
  static Tensor ws;
  return grown_workspace(ws, floats);
}

template <int V>
struct Vec {
  float v[V];
};
template <int V>
__device__ Vec<V> load(const float* p, int64_t i) {
  if constexpr (V == 4) {
    float4 f = reinterpret_cast<const float4*>(p)[i];
    return {{f.x, f.y, f.z, f.w}};
  } else {
    return {{p[i]}};
  }
}
template <int V>
__device__ void store(float* p, int64_t i, const Vec<V>& a) {
  if constexpr (V == 4)
    reinterpret_cast<float4*>(p)[i] = make_float4(a.v[0], a.v[1], a.v[2], a.v[3]);
  else
    p[i] = a.v[0];
}

// Calls f(p) for the vectors of group k whose group index j lies in [begin, end): thread t takes
// j = begin + t, begin + t + blockDim.x, ...; p is j's position in the tensor. Run and offset are
// stepped incrementally, without a division per vector.
template <class F>
__device__ void for_each_in_chunk(const Layout& L, int k, int64_t begin, int64_t end, F&& f) {
  int64_t j = begin + threadIdx.x;
  if (j >= end) return;
  int64_t r = j / L.hw_v, i = j - r * L.hw_v;
  const int64_t dr = blockDim.x / L.hw_v, di = blockDim.x % L.hw_v;
  for (; j < end; j += blockDim.x) {
    f((r * L.groups + k) * L.hw_v + i);
    r += dr;
    i += di;
    if (i >= L.hw_v) {
      i -= L.hw_v;
      ++r;
    }
  }
}

// The elementwise passes walk planes: plane j = r * groups + k holds run r of group k (one image's
// channel k), hw_v contiguous vectors from j * hw_v. blockIdx.y strides over the planes and the x
// dimension over one plane's vectors, so a thread finds its group with one 32-bit modulo per plane
// instead of a 64-bit division per vector (its 64-bit modulo, once per plane, is negligible).
// f(k, p): p is the vector's position in the tensor.
template <class F>
__device__ void for_each_vector(const Layout& L, F&& f) {
  const int64_t planes = int64_t(L.runs) * L.groups, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t j = blockIdx.y; j < planes; j += gridDim.y) {
    const int k = static_cast<int>(j % L.groups);
    const int64_t base = j * L.hw_v;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < L.hw_v; i += stride) f(k, base + i);
  }
}

// The launch shape of for_each_vector: a block of 32 to 256 threads (a 1x1 plane takes one warp, not
// 256 threads of which 255 idle), enough blocks along x for one plane, as many planes along y as the
// grid allows; at most grid_cap() blocks in all, so capped grids test both strides.
struct PlaneGrid {
  dim3 grid;
  int block;
};
PlaneGrid plane_grid(const Layout& L) {
  int block = 32;
  while (block < 256 && block < L.hw_v) block *= 2;
  const int64_t cap = grid_cap(), x = std::min<int64_t>((L.hw_v + block - 1) / block, cap);
  const int64_t y = std::min<int64_t>({int64_t(L.runs) * L.groups, 65535, std::max<int64_t>(1, cap / x)});
  return {dim3(static_cast<unsigned>(x), static_cast<unsigned>(y)), block};
}

// Welford moments: count, mean, sum of squared deviations from the mean. The zero value is empty.
struct Moments {
  float n, mean, m2;
};
__device__ void push(Moments& a, float x) {
  a.n += 1.0f;
  const float d = x - a.mean;
  a.mean += d / a.n;
  a.m2 += d * (x - a.mean);
}
// Chan et al.'s combination of two sets of moments.
__device__ Moments merge(const Moments& a, const Moments& b) {
  const float n = a.n + b.n;
  if (n == 0.0f) return a;
  const float d = b.mean - a.mean, fb = b.n / n;
  return {n, a.mean + d * fb, a.m2 + b.m2 + d * d * a.n * fb};
}
__device__ Moments shfl_down(const Moments& a, int off) {
  return {__shfl_down_sync(kFullMask, a.n, off), __shfl_down_sync(kFullMask, a.mean, off),
          __shfl_down_sync(kFullMask, a.m2, off)};
}

// Sums for the backward: g = sum dy, gx = sum dy * xhat.
struct GradSums {
  float g, gx;
};
__device__ GradSums merge(const GradSums& a, const GradSums& b) { return {a.g + b.g, a.gx + b.gx}; }
__device__ GradSums shfl_down(const GradSums& a, int off) {
  return {__shfl_down_sync(kFullMask, a.g, off), __shfl_down_sync(kFullMask, a.gx, off)};
}

// Tree reduction over the warp; lane 0 ends with the total of the lanes in a fixed order.
template <class A>
__device__ A warp_reduce(A a) {
  for (int off = 16; off > 0; off /= 2) a = merge(a, shfl_down(a, off));
  return a;
}
// Tree reduction over the block (blockDim.x a multiple of 32, at most 1024); thread 0 ends with it.
template <class A>
__device__ A block_reduce(A a) {
  __shared__ A warp_total[32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  a = warp_reduce(a);
  if (lane == 0) warp_total[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < static_cast<int>(blockDim.x / 32) ? warp_total[lane] : A{};
    a = warp_reduce(a);
  }
  return a;
}
// Calls f(k, lane) for the groups of this thread's warp: warp w of the grid (W warps in all) takes
// groups k = w, w + W, w + 2W, ..., so a grid capped below one warp per group still covers them all.
// k depends only on the warp (blockDim.x is a multiple of 32), so all 32 lanes enter and leave the
// loop together: every shuffle inside f runs with the full warp, and a warp with no group left
// never reaches one.
template <class F>
__device__ void for_each_group_by_warp(int groups, F&& f) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t(gridDim.x) * blockDim.x / 32;
  for (int64_t k = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32; k < groups; k += warps)
    f(static_cast<int>(k), lane);
}
// Group k's partials part[k * chunks + u], u < chunks, combined by one warp in a fixed order (lane
// l takes u = l, l + 32, ..., then the warp tree); lane 0 ends with the group's total.
template <class A>
__device__ A combine_chunks(const A* __restrict__ part, int k, int chunks, int lane) {
  A a{};
  for (int u = lane; u < chunks; u += 32) a = merge(a, part[int64_t(k) * chunks + u]);
  return warp_reduce(a);
}

// A group's mean and invstd, either saved by the training forward or from the running statistics:
// invstd = 1 / sqrt(running_var + eps).
struct Stats {
  const float* mean;
  const float* invstd_or_var;
  bool from_var;
  float eps;
  __device__ float invstd(int k) const { return from_var ? 1.0f / sqrtf(invstd_or_var[k] + eps) : invstd_or_var[k]; }
};

// How a group's vectors are cut into chunks, one block of `block` threads each: about 4 vectors a
// thread, so that even few large groups fill the GPU, and a single warp for a small group.
struct Plan {
  int chunks;
  int64_t chunk;
  int block;
};
Plan plan_for(const Layout& L) {
  const int64_t m = L.group_vectors(), per_block = 256 * 4;
  Plan p;
  p.chunks = static_cast<int>((m + per_block - 1) / per_block);
  p.chunk = (m + p.chunks - 1) / p.chunks;
  p.block = 32;
  while (p.block < 256 && p.block < p.chunk) p.block *= 2;
  return p;
}

// ---- Forward training ----

template <int V>
__global__ void moments_chunk_kernel(Layout L, const float* __restrict__ x, int chunks, int64_t chunk,
                                     Moments* __restrict__ out) {
  const int k = blockIdx.x / chunks, u = blockIdx.x % chunks;
  const int64_t begin = u * chunk, end = L.chunk_end(begin, chunk);
  Moments a{};
  for_each_in_chunk(L, k, begin, end, [&](int64_t p) {
    Vec<V> v = load<V>(x, p);
    for (int e = 0; e < V; ++e) push(a, v.v[e]);
  });
  a = block_reduce(a);
  if (threadIdx.x == 0) out[blockIdx.x] = a;
}

// One warp per group (striding over the groups): combine its chunks in order, then the statistics
// (m values in the group).
__global__ void moments_finish_kernel(int groups, int chunks, const Moments* __restrict__ part, int64_t m, float eps,
                                      float momentum, float* save_mean, float* save_invstd, float* running_mean,
                                      float* running_var) {
  for_each_group_by_warp(groups, [&](int k, int lane) {
    const Moments a = combine_chunks(part, k, chunks, lane);
    if (lane != 0) return;
    const float var = a.m2 / float(m);  // biased: used to normalise
    save_mean[k] = a.mean;
    save_invstd[k] = 1.0f / sqrtf(var + eps);
    if (running_mean) running_mean[k] = (1.0f - momentum) * running_mean[k] + momentum * a.mean;
    if (running_var) running_var[k] = (1.0f - momentum) * running_var[k] + momentum * (a.m2 / float(m - 1));
  });
}

// y = (x - mean) * invstd * gamma + beta, as the reference.
template <int V>
__global__ void normalize_kernel(Layout L, const float* __restrict__ x, Stats s, const float* __restrict__ gamma,
                                 const float* __restrict__ beta, float* __restrict__ y) {
  for_each_vector(L, [&](int k, int64_t p) {
    const float mean = s.mean[k], invstd = s.invstd(k);
    const float gm = gamma ? gamma[k] : 1.0f, bt = beta ? beta[k] : 0.0f;
    Vec<V> v = load<V>(x, p);
    for (int e = 0; e < V; ++e) v.v[e] = (v.v[e] - mean) * invstd * gm + bt;
    store<V>(y, p, v);
  });
}

template <int V>
void normalize(const Layout& L, const float* x, const Stats& s, const float* gamma, const float* beta, float* y) {
  const PlaneGrid pg = plane_grid(L);
  P2P_LAUNCH(normalize_kernel<V>, pg.grid, pg.block, L, x, s, gamma, beta, y);
}

template <int V>
void forward_train(const NormGeom& g, const float* x, const float* gamma, const float* beta, float eps, float momentum,
                   float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var) {
  const Layout L = layout(g, V);
  const Plan plan = plan_for(L);
  const int64_t parts = int64_t(L.groups) * plan.chunks;
  Moments* part = reinterpret_cast<Moments*>(scratch(parts * int64_t(sizeof(Moments) / sizeof(float))));
  P2P_LAUNCH(moments_chunk_kernel<V>, static_cast<unsigned>(parts), plan.block, L, x, plan.chunks, plan.chunk, part);
  P2P_LAUNCH(moments_finish_kernel, grid_for(int64_t(L.groups) * 32, 256), 256, L.groups, plan.chunks, part,
             int64_t(g.n) * g.hw(), eps, momentum, save_mean, save_invstd, running_mean, running_var);
  normalize<V>(L, x, Stats{save_mean, save_invstd, false, 0.0f}, gamma, beta, y);
}

// ---- Backward ----

template <int V>
__global__ void grad_sums_chunk_kernel(Layout L, const float* __restrict__ dy, const float* __restrict__ x, Stats s,
                                       int chunks, int64_t chunk, GradSums* __restrict__ out) {
  const int k = blockIdx.x / chunks, u = blockIdx.x % chunks;
  const int64_t begin = u * chunk, end = L.chunk_end(begin, chunk);
  const float mean = s.mean[k], invstd = s.invstd(k);
  GradSums a{};
  for_each_in_chunk(L, k, begin, end, [&](int64_t p) {
    Vec<V> gv = load<V>(dy, p), xv = load<V>(x, p);
    for (int e = 0; e < V; ++e) {
      a.g += gv.v[e];
      a.gx += gv.v[e] * ((xv.v[e] - mean) * invstd);
    }
  });
  a = block_reduce(a);
  if (threadIdx.x == 0) out[blockIdx.x] = a;
}

// One warp per group (striding over the groups): combine its chunks in order; dbeta += sum g,
// dgamma += sum g*xhat; and the dx pass's means (center/M) sum g and (center/M) sum g*xhat, center 1
// in training, 0 in eval.
__global__ void grad_sums_finish_kernel(int groups, int chunks, const GradSums* __restrict__ part, int64_t m,
                                        float center, float* dgamma, float* dbeta, GradSums* means) {
  for_each_group_by_warp(groups, [&](int k, int lane) {
    const GradSums a = combine_chunks(part, k, chunks, lane);
    if (lane != 0) return;
    if (dbeta) dbeta[k] += a.g;
    if (dgamma) dgamma[k] += a.gx;
    means[k] = {center * (a.g / float(m)), center * (a.gx / float(m))};
  });
}

// dx = gamma * invstd * (dy - mean_g - xhat * mean_gx), as the reference; means null: both 0.
template <int V>
__global__ void dx_kernel(Layout L, const float* __restrict__ dy, const float* __restrict__ x, Stats s,
                          const float* __restrict__ gamma, const GradSums* __restrict__ means, float* __restrict__ dx) {
  for_each_vector(L, [&](int k, int64_t p) {
    const float mean = s.mean[k], invstd = s.invstd(k);
    const float scale = (gamma ? gamma[k] : 1.0f) * invstd;
    const GradSums mg = means ? means[k] : GradSums{};
    Vec<V> gv = load<V>(dy, p), xv = load<V>(x, p);
    for (int e = 0; e < V; ++e) {
      const float xhat = (xv.v[e] - mean) * invstd;
      gv.v[e] = scale * (gv.v[e] - mg.g - xhat * mg.gx);
    }
    store<V>(dx, p, gv);
  });
}

// The backward for training (center 1, saved statistics) and eval (center 0, running statistics).
// Eval without parameter gradients needs no reduction at all.
template <int V>
void backward(const NormGeom& g, const float* dy, const float* x, const float* gamma, const Stats& s, float center,
              float* dx, float* dgamma, float* dbeta) {
  const Layout L = layout(g, V);
  GradSums* means = nullptr;
  if (center != 0.0f || dgamma || dbeta) {
    const Plan plan = plan_for(L);
    const int64_t parts = int64_t(L.groups) * plan.chunks;
    GradSums* part =
        reinterpret_cast<GradSums*>(scratch((parts + L.groups) * int64_t(sizeof(GradSums) / sizeof(float))));
    means = part + parts;
    P2P_LAUNCH(grad_sums_chunk_kernel<V>, static_cast<unsigned>(parts), plan.block, L, dy, x, s, plan.chunks,
               plan.chunk, part);
    P2P_LAUNCH(grad_sums_finish_kernel, grid_for(int64_t(L.groups) * 32, 256), 256, L.groups, plan.chunks, part,
               int64_t(g.n) * g.hw(), center, dgamma, dbeta, means);
  }
  const PlaneGrid pg = plane_grid(L);
  P2P_LAUNCH(dx_kernel<V>, pg.grid, pg.block, L, dy, x, s, gamma, means, dx);
}

}  // namespace

void batch_norm_forward_train(const NormGeom& g, const float* x, const float* gamma, const float* beta, float eps,
                              float momentum, float* y, float* save_mean, float* save_invstd, float* running_mean,
                              float* running_var) {
  P2P_CHECK(int64_t(g.n) * g.hw() > 1 || !running_var,
            "batch_norm_forward_train: the unbiased running variance needs more than 1 value per channel");
  if (g.size() == 0) return;
  if (vector_width(g.hw(), {x, y}) == 4)
    forward_train<4>(g, x, gamma, beta, eps, momentum, y, save_mean, save_invstd, running_mean, running_var);
  else
    forward_train<1>(g, x, gamma, beta, eps, momentum, y, save_mean, save_invstd, running_mean, running_var);
}

void batch_norm_forward_eval(const NormGeom& g, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float eps, float* y) {
  if (g.size() == 0) return;
  const Stats s{running_mean, running_var, true, eps};
  if (vector_width(g.hw(), {x, y}) == 4)
    normalize<4>(layout(g, 4), x, s, gamma, beta, y);
  else
    normalize<1>(layout(g, 1), x, s, gamma, beta, y);
}

void batch_norm_backward_train(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                               const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                               float* dbeta) {
  if (g.size() == 0) return;
  const Stats s{save_mean, save_invstd, false, 0.0f};
  if (vector_width(g.hw(), {dy, x, dx}) == 4)
    backward<4>(g, dy, x, gamma, s, 1.0f, dx, dgamma, dbeta);
  else
    backward<1>(g, dy, x, gamma, s, 1.0f, dx, dgamma, dbeta);
}

void batch_norm_backward_eval(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx, float* dgamma,
                              float* dbeta) {
  if (g.size() == 0) return;
  const Stats s{running_mean, running_var, true, eps};
  if (vector_width(g.hw(), {dy, x, dx}) == 4)
    backward<4>(g, dy, x, gamma, s, 0.0f, dx, dgamma, dbeta);
  else
    backward<1>(g, dy, x, gamma, s, 0.0f, dx, dgamma, dbeta);
}

}  // namespace p2p::cuda
