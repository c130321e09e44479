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

__global__ void reflection_pad2d_forward_kernel(PadGeom g, int64_t total, const float* __restrict__ x,
                                                float* __restrict__ y) {
  const int HO = g.ho(), WO = g.wo();
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int j = int(e % WO), i = int(e / WO % HO);
    const int64_t nc = e / (int64_t(HO) * WO);
    y[e] = x[(nc * g.h + mirror(i - g.pad, g.h)) * g.w + mirror(j - g.pad, g.w)];
  }
}

__global__ void reflection_pad2d_backward_kernel(PadGeom g, int64_t total, const float* __restrict__ dy,
                                                 float* __restrict__ dx) {
  const int HO = g.ho(), WO = g.wo();
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int w = int(e % g.w), h = int(e / g.w % g.h);
    const int64_t nc = e / (int64_t(g.h) * g.w);
    int rows[3], cols[3];
    const int nr = sources_of(h, g.h, g.pad, rows), ncol = sources_of(w, g.w, g.pad, cols);
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
  P2P_LAUNCH(reflection_pad2d_forward_kernel, grid_for(total, 256), 256, g, total, x, y);
}

void reflection_pad2d_backward(const PadGeom& g, const float* dy, float* dx) {
  const int64_t total = int64_t(g.n) * g.c * g.h * g.w;
  if (total == 0) return;
  P2P_LAUNCH(reflection_pad2d_backward_kernel, grid_for(total, 256), 256, g, total, dy, dx);
}

}  // namespace p2p::cuda
