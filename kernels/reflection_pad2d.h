// reflection_pad2d, NCHW, as torch.nn.ReflectionPad2d(pad) with the same pad on all four sides
// (CycleGAN's ResNet generator pads by 3 before its 7x7 convs and by 1 inside each residual block):
// the border is the mirror image of the input without repeating the edge row or column.
//
//   y[n,c,i,j] = x[n,c, m(i - pad, H), m(j - pad, W)]     x: [N, C, H, W]   y: [N, C, H + 2 pad, W + 2 pad]
//   m(t, L) = -t for t < 0,  t for 0 <= t < L,  2 (L - 1) - t for t >= L
// m is defined (one reflection suffices) only for pad < L in each dimension, as PyTorch requires; a
// larger pad is an error naming the sizes.
//
// Backward (dx written): each output gradient is ADDED to its mirrored source, and one input element
// can be the source of up to 3 rows times 3 columns of outputs:
//   dx[n,c,h,w] = sum over (i, j) with m(i - pad, H) = h and m(j - pad, W) = w of dy[n,c,i,j]
// The rows i with m(i - pad, H) = h are
//   i = h + pad (always),  i = pad - h (the top mirror, for 1 <= h <= pad),
//   i = pad + 2 (H - 1) - h (the bottom mirror, for H - 1 - pad <= h <= H - 2),
// and the same for the columns. The CPU reference scatters (the definition); the CUDA kernel gathers
// these up to 9 terms per input element in a fixed order: deterministic, no atomics.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

struct PadGeom {
  int n, c, h, w;  // input
  int pad;
  int ho() const { return h + 2 * pad; }
  int wo() const { return w + 2 * pad; }
};

namespace ref {
template <typename T>
void reflection_pad2d_forward(const PadGeom& g, const T* x, T* y);
template <typename T>
void reflection_pad2d_backward(const PadGeom& g, const T* dy, T* dx);
}  // namespace ref

namespace cuda {
void reflection_pad2d_forward(const PadGeom& g, const float* x, float* y);
void reflection_pad2d_backward(const PadGeom& g, const float* dy, float* dx);
}  // namespace cuda

// x: [N, C, H, W], y: [N, C, H + 2 pad, W + 2 pad], both allocated by the caller; 0 <= pad < H, W.
PadGeom reflection_pad2d_geom(const Tensor& x, int pad);
void reflection_pad2d_forward(const Tensor& x, int pad, Tensor& y);
void reflection_pad2d_backward(const Tensor& dy, int pad, Tensor& dx);

}  // namespace p2p
