// conv_transpose2d on the GPU: the conv2d kernels (conv2d.cu) with the roles exchanged, on the conv2d
// geometry g.as_conv() that maps [N, O, HO, WO] to [N, C, H, W] with the same weights [C, O, R, S]:
//   forward          y  = conv2d backward-data of "dy" = x, + b[o] in its epilogue (by stride phase, so a
//                    stride-2 layer multiplies only the taps that land on each output pixel)
//   backward-data    dx = conv2d forward of dy (no bias)
//   backward-weight  dw += conv2d backward-weight with its x = dy and its dy = x
// (kernels/conv_transpose2d.h derives these; tests/test_conv_transpose2d.cpp checks them on the CPU.)
#include "kernels/conv_transpose2d.h"

namespace p2p::cuda {

void conv_transpose2d_forward(const ConvTGeom& g, const float* x, const float* w, const float* b, float* y) {
  conv2d_backward_data(g.as_conv(), x, w, y, b);
}

void conv_transpose2d_backward_data(const ConvTGeom& g, const float* dy, const float* w, float* dx) {
  conv2d_forward(g.as_conv(), dy, w, nullptr, dx);
}

void conv_transpose2d_backward_weight(const ConvTGeom& g, const float* x, const float* dy, float* dw) {
  conv2d_backward_weight(g.as_conv(), dy, x, dw);
}

}  // namespace p2p::cuda
