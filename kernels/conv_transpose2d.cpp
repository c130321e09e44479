// conv_transpose2d CPU reference and tensor-level dispatch. The math is in kernels/conv_transpose2d.h.
// The reference is written directly from the scatter definition (no call into conv2d), so that the
// tests comparing it with conv2d (the adjoint identity) compare two independent implementations.
// The CUDA path (conv_transpose2d.cu) reuses the conv2d kernels with the roles exchanged.
//
// Loops run over one weight tap (c, o, r, s) at a time, then over the input rows and columns whose
// scatter target lies inside the output, so the innermost loop walks x / dx contiguously and holds no
// bounds check.
#include "kernels/conv_transpose2d.h"

#include <algorithm>

#include "kernels/conv_taps.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {

template <typename T>
void conv_transpose2d_forward(const ConvTGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int HO = g.ho(), WO = g.wo(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, hwo = int64_t(HO) * WO;
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.o; ++o) {
      T* yo = y + (int64_t(n) * g.o + o) * hwo;
      std::fill(yo, yo + hwo, b ? b[o] : T(0));
      for (int c = 0; c < g.c; ++c) {
        const T* xc = x + (int64_t(n) * g.c + c) * hw;
        const T* wco = w + (int64_t(c) * g.o + o) * g.r * g.s;
        for (int r = 0; r < g.r; ++r) {
          const TapRange ir = tap_range(g.h, HO, r - g.pad, st);
          for (int s = 0; s < g.s; ++s) {
            const TapRange jr = tap_range(g.w, WO, s - g.pad, st);
            const T wv = wco[r * g.s + s];
            for (int i = ir.lo; i < ir.hi; ++i) {
              T* yrow = yo + int64_t(i * st + r - g.pad) * WO;
              const T* xrow = xc + int64_t(i) * g.w;
              for (int j = jr.lo; j < jr.hi; ++j) yrow[j * st + s - g.pad] += wv * xrow[j];
            }
          }
        }
      }
    }
}

template <typename T>
void conv_transpose2d_backward_data(const ConvTGeom& g, const T* dy, const T* w, T* dx) {
  const int HO = g.ho(), WO = g.wo(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, hwo = int64_t(HO) * WO;
  for (int n = 0; n < g.n; ++n)
    for (int c = 0; c < g.c; ++c) {
      T* dxc = dx + (int64_t(n) * g.c + c) * hw;
      std::fill(dxc, dxc + hw, T(0));
      for (int o = 0; o < g.o; ++o) {
        const T* dyo = dy + (int64_t(n) * g.o + o) * hwo;
        const T* wco = w + (int64_t(c) * g.o + o) * g.r * g.s;
        for (int r = 0; r < g.r; ++r) {
          const TapRange ir = tap_range(g.h, HO, r - g.pad, st);
          for (int s = 0; s < g.s; ++s) {
            const TapRange jr = tap_range(g.w, WO, s - g.pad, st);
            const T wv = wco[r * g.s + s];
            for (int i = ir.lo; i < ir.hi; ++i) {
              const T* dyrow = dyo + int64_t(i * st + r - g.pad) * WO;
              T* dxrow = dxc + int64_t(i) * g.w;
              for (int j = jr.lo; j < jr.hi; ++j) dxrow[j] += wv * dyrow[j * st + s - g.pad];
            }
          }
        }
      }
    }
}

template <typename T>
void conv_transpose2d_backward_weight(const ConvTGeom& g, const T* x, const T* dy, T* dw) {
  const int HO = g.ho(), WO = g.wo(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, hwo = int64_t(HO) * WO;
  for (int c = 0; c < g.c; ++c)
    for (int o = 0; o < g.o; ++o)
      for (int r = 0; r < g.r; ++r) {
        const TapRange ir = tap_range(g.h, HO, r - g.pad, st);
        for (int s = 0; s < g.s; ++s) {
          const TapRange jr = tap_range(g.w, WO, s - g.pad, st);
          T acc = 0;
          for (int n = 0; n < g.n; ++n) {
            const T* xc = x + (int64_t(n) * g.c + c) * hw;
            const T* dyo = dy + (int64_t(n) * g.o + o) * hwo;
            for (int i = ir.lo; i < ir.hi; ++i) {
              const T* dyrow = dyo + int64_t(i * st + r - g.pad) * WO;
              const T* xrow = xc + int64_t(i) * g.w;
              for (int j = jr.lo; j < jr.hi; ++j) acc += xrow[j] * dyrow[j * st + s - g.pad];
            }
          }
          dw[((int64_t(c) * g.o + o) * g.r + r) * g.s + s] += acc;
        }
      }
}

#define P2P_INSTANTIATE(T)                                                                       \
  template void conv_transpose2d_forward<T>(const ConvTGeom&, const T*, const T*, const T*, T*); \
  template void conv_transpose2d_backward_data<T>(const ConvTGeom&, const T*, const T*, T*);     \
  template void conv_transpose2d_backward_weight<T>(const ConvTGeom&, const T*, const T*, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE

}  // namespace ref

ConvTGeom conv_transpose2d_geom(const Tensor& x, const Tensor& w, int stride, int pad, int opad) {
  check_rank(x, 4, "conv_transpose2d input x");
  check_rank(w, 4, "conv_transpose2d weight w");
  P2P_CHECK(stride >= 1 && pad >= 0,
            "conv_transpose2d: stride " << stride << " must be >= 1 and padding " << pad << " >= 0");
  P2P_CHECK(opad >= 0 && opad < stride,
            "conv_transpose2d: output_padding " << opad << " must be in [0, stride " << stride << ") (as in PyTorch)");
  P2P_CHECK(w.dim(0) == x.dim(1), "conv_transpose2d: channel mismatch: input x "
                                      << shape_str(x.shape()) << " has " << x.dim(1) << " channels, weight w "
                                      << shape_str(w.shape()) << " expects " << w.dim(0));
  ConvTGeom g{x.n(), x.c(), x.h(), x.w(), w.c(), w.h(), w.w(), stride, pad, opad};
  P2P_CHECK(g.ho() >= 1 && g.wo() >= 1, "conv_transpose2d: input x "
                                            << shape_str(x.shape()) << " with weight w " << shape_str(w.shape())
                                            << ", stride " << stride << " and padding " << pad
                                            << " gives an empty output (" << g.ho() << "x" << g.wo() << ")");
  return g;
}

namespace {
Shape y_shape(const ConvTGeom& g) { return {g.n, g.o, g.ho(), g.wo()}; }
}  // namespace

void conv_transpose2d_forward(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad, int opad,
                              Tensor& y) {
  const Device dev = common_device({&x, &w, b, &y}, "conv_transpose2d_forward");
  const ConvTGeom g = conv_transpose2d_geom(x, w, stride, pad, opad);
  if (b && b->defined()) check_shape(*b, {g.o}, "conv_transpose2d_forward bias b");
  check_shape(y, y_shape(g), "conv_transpose2d_forward output y");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv_transpose2d_forward(g, x.data(), w.data(), opt_data(b), y.data()));
  else
    ref::conv_transpose2d_forward(g, x.data(), w.data(), opt_data(b), y.data());
}

void conv_transpose2d_backward_data(const Tensor& dy, const Tensor& w, int stride, int pad, int opad, Tensor& dx) {
  const Device dev = common_device({&dy, &w, &dx}, "conv_transpose2d_backward_data");
  const ConvTGeom g = conv_transpose2d_geom(dx, w, stride, pad, opad);
  check_shape(dy, y_shape(g), "conv_transpose2d_backward_data output gradient dy");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv_transpose2d_backward_data(g, dy.data(), w.data(), dx.data()));
  else
    ref::conv_transpose2d_backward_data(g, dy.data(), w.data(), dx.data());
}

void conv_transpose2d_backward_weight(const Tensor& x, const Tensor& dy, int stride, int pad, int opad, Tensor& dw) {
  const Device dev = common_device({&x, &dy, &dw}, "conv_transpose2d_backward_weight");
  const ConvTGeom g = conv_transpose2d_geom(x, dw, stride, pad, opad);
  check_shape(dy, y_shape(g), "conv_transpose2d_backward_weight output gradient dy");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv_transpose2d_backward_weight(g, x.data(), dy.data(), dw.data()));
  else
    ref::conv_transpose2d_backward_weight(g, x.data(), dy.data(), dw.data());
}

}  // namespace p2p
