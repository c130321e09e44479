// reflection_pad2d on the GPU: one thread per output element in the forward (a gather of its mirrored
// source), one per input element in the backward (a gather of the up to 3 x 3 output gradients whose
// source it is, kernels/reflection_pad2d.h), so no two threads write one element: no atomics, and
// the sums run in one fixed order (rows, then columns, each in increasing i / j) on every run.
#include "kernels/reflection_pad2d.h"
#include "runtime/launch.h"

namespace p2p::cuda {

namespace {

__device__ __forceinline__ int mirror(int t, int len) { return t < 0 ? -t : t < len ? t : 2 * (len - 1) - t; }

// The output indices (at most 3, increasing) whose mirrored source is input index h of a length-len
// dimension padded by pad on each side; returns how many.
__device__ __forceinline__ int sources_of(int h, int len, int pad, int* out) {
  int k = 0;
  if (h >= 1 && h <= pad) out[k++] = pad - h;                                  // the top / left mirror
  out[k++] = h + pad;                                                          // the copy
  if (h >= len - 1 - pad && h <= len - 2) out[k++] = pad + 2 * (len - 1) - h;  // the bottom / right mirror
  return k;
}

// (PadGeom's methods are host code: the kernels take the sizes.) h, w: input; pad on each side.
__global__ void reflection_pad2d_forward_kernel(int h_in, int w_in, int pad, int64_t total, const float* __restrict__ x,
                                                float* __restrict__ y) {
  const int HO = h_in + 2 * pad, WO = w_in + 2 * pad;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int j = int(e % WO), i = int(e / WO % HO);
    const int64_t nc = e / (int64_t(HO) * WO);
    y[e] = x[(nc * h_in + mirror(i - pad, h_in)) * w_in + mirror(j - pad, w_in)];
  }
}

__global__ void reflection_pad2d_backward_kernel(int h_in, int w_in, int pad, int64_t total,
                                                 const float* __restrict__ dy, float* __restrict__ dx) {
  const int HO = h_in + 2 * pad, WO = w_in + 2 * pad;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int w = int(e % w_in), h = int(e / w_in % h_in);
    const int64_t nc = e / (int64_t(h_in) * w_in);
    int rows[3], cols[3];
    const int nr = sources_of(h, h_in, pad, rows), ncol = sources_of(w, w_in, pad, cols);
    const float* dyp = dy + nc * HO * WO;
    float acc = 0.0f;
    for (int a = 0; a < nr; ++a)
      for (int b = 0; b < ncol; ++b) acc += dyp[int64_t(rows[a]) * WO + cols[b]];
    dx[e] = acc;
  }
}

}  // namespace

void reflection_pad2d_forward(const PadGeom& g, const float* x, float* y) {
  const int64_t total = int64_t(g.n) * g.c * g.ho() * g.wo();
  if (total == 0) return;
  P2P_LAUNCH(reflection_pad2d_forward_kernel, grid_for(total, 256), 256, g.h, g.w, g.pad, total, x, y);
}

void reflection_pad2d_backward(const PadGeom& g, const float* dy, float* dx) {
  const int64_t total = int64_t(g.n) * g.c * g.h * g.w;
  if (total == 0) return;
  P2P_LAUNCH(reflection_pad2d_backward_kernel, grid_for(total, 256), 256, g.h, g.w, g.pad, total, dy, dx);
}

}  // namespace p2p::cuda
