// conv_transpose2d: the transposed convolution, NCHW, as torch.nn.ConvTranspose2d (groups 1,
// dilation 1). Each input pixel scatters a weighted kernel into the output:
//
//   y[n,o,i*stride + r - pad, j*stride + s - pad] += x[n,c,i,j] * w[c,o,r,s]   (+ b[o] everywhere)
//   x: [N, C, H, W]   w: [C, O, R, S]   b: [O] (optional)   y: [N, O, HO, WO]
//   HO = (H - 1) stride - 2 pad + R + opad,  WO = (W - 1) stride - 2 pad + S + opad
// output_padding (opad, 0 <= opad < stride as PyTorch requires) only adds opad rows and columns at
// the bottom and right that no tap reaches below pad: they hold b[o] (CycleGAN's up-sampling convs,
// k3 s2 p1 opad 1, use it to double the size exactly: HO = 2H). It changes no formula below, only
// HO and WO, and the conv2d that it is the adjoint of maps HO back to H (floor division).
//
// It is the adjoint of conv2d with the same weights: <conv2d(u, w), x> = <u, conv_transpose2d(x, w)>.
// Backward, with dy = dL/dy:
//   dx[n,c,i,j] = sum_{o,r,s} dy[n, o, i*stride + r - pad, j*stride + s - pad] * w[c,o,r,s]  (a conv2d of dy)
//   dw[c,o,r,s] += sum_{n,i,j} x[n,c,i,j] * dy[n, o, i*stride + r - pad, j*stride + s - pad]
//   db[o]       += sum_{n,h,w} dy[n,o,h,w]
// The CPU reference is the scatter loop above; the CUDA path runs the conv2d kernels with the roles
// exchanged (forward = conv2d backward-data, backward-data = conv2d forward).
#pragma once
#include "kernels/conv2d.h"

namespace p2p {

struct ConvTGeom {
  int n, c, h, w;  // input
  int o, r, s;     // output channels, kernel height and width
  int stride, pad;
  int opad = 0;  // output_padding
  int ho() const { return (h - 1) * stride - 2 * pad + r + opad; }
  int wo() const { return (w - 1) * stride - 2 * pad + s + opad; }
  // The conv2d whose backward-data this is: it maps [N, O, HO, WO] to [N, C, H, W].
  ConvGeom as_conv() const { return ConvGeom{n, o, ho(), wo(), c, r, s, stride, pad}; }
  double flops() const { return 2.0 * n * c * h * w * o * r * s; }
};

namespace ref {
template <typename T>
void conv_transpose2d_forward(const ConvTGeom& g, const T* x, const T* w, const T* b, T* y);
template <typename T>
void conv_transpose2d_backward_data(const ConvTGeom& g, const T* dy, const T* w, T* dx);
template <typename T>
void conv_transpose2d_backward_weight(const ConvTGeom& g, const T* x, const T* dy, T* dw);
}  // namespace ref

namespace cuda {
void conv_transpose2d_forward(const ConvTGeom& g, const float* x, const float* w, const float* b, float* y);
void conv_transpose2d_backward_data(const ConvTGeom& g, const float* dy, const float* w, float* dx);
void conv_transpose2d_backward_weight(const ConvTGeom& g, const float* x, const float* dy, float* dw);
}  // namespace cuda

// opad: output_padding.
ConvTGeom conv_transpose2d_geom(const Tensor& x, const Tensor& w, int stride, int pad, int opad);
void conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad, int opad,
                              Tensor& y);
void conv_transpose2d_backward_data(const Tensor& dy, const Tensor& w, int stride, int pad, int opad, Tensor& dx);
void conv_transpose2d_backward_weight(const Tensor& x, const Tensor& dy, int stride, int pad, int opad, Tensor& dw);
// The bias gradient is bias_backward(dy, db) from conv2d.h.

}  // namespace p2p
