// conv2d CPU reference and tensor-level dispatch. The math (forward, backward-data, backward-weight,
// bias) is in kernels/conv2d.h; the CUDA kernels are in conv2d.cu.
//
// The reference loops run over one weight tap (k, c, r, s) at a time and then over the output rows
// and columns that tap touches, so the innermost loop walks y / dy contiguously and no bounds check
// is left inside it: tap_range computes, once per tap, the output indices whose input index is in range.
#include "kernels/conv2d.h"

#include <algorithm>
#include <atomic>

#include "kernels/conv_taps.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {

template <typename T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y) {
  const int P = g.p(), Q = g.q(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, pq = int64_t(P) * Q;
  for (int n = 0; n < g.n; ++n)
    for (int k = 0; k < g.k; ++k) {
      T* yk = y + (int64_t(n) * g.k + k) * pq;
      std::fill(yk, yk + pq, b ? b[k] : T(0));
      for (int c = 0; c < g.c; ++c) {
        const T* xc = x + (int64_t(n) * g.c + c) * hw;
        const T* wkc = w + (int64_t(k) * g.c + c) * g.r * g.s;
        for (int r = 0; r < g.r; ++r) {
          const TapRange pr = tap_range(P, g.h, r - g.pad, st);
          for (int s = 0; s < g.s; ++s) {
            const TapRange qr = tap_range(Q, g.w, s - g.pad, st);
            const T wv = wkc[r * g.s + s];
            for (int p = pr.lo; p < pr.hi; ++p) {
              const T* xrow = xc + int64_t(p * st + r - g.pad) * g.w;
              T* yrow = yk + int64_t(p) * Q;
              for (int q = qr.lo; q < qr.hi; ++q) yrow[q] += wv * xrow[q * st + s - g.pad];
            }
          }
        }
      }
    }
}

// The scatter form of dx: each tap (k, c, r, s) adds w * dy[n, k, :, :] onto the input pixels it read.
template <typename T>
void conv2d_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx) {
  const int P = g.p(), Q = g.q(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, pq = int64_t(P) * Q;
  std::fill(dx, dx + g.x_size(), T(0));
  for (int n = 0; n < g.n; ++n)
    for (int c = 0; c < g.c; ++c) {
      T* dxc = dx + (int64_t(n) * g.c + c) * hw;
      for (int k = 0; k < g.k; ++k) {
        const T* dyk = dy + (int64_t(n) * g.k + k) * pq;
        const T* wkc = w + (int64_t(k) * g.c + c) * g.r * g.s;
        for (int r = 0; r < g.r; ++r) {
          const TapRange pr = tap_range(P, g.h, r - g.pad, st);
          for (int s = 0; s < g.s; ++s) {
            const TapRange qr = tap_range(Q, g.w, s - g.pad, st);
            const T wv = wkc[r * g.s + s];
            for (int p = pr.lo; p < pr.hi; ++p) {
              T* dxrow = dxc + int64_t(p * st + r - g.pad) * g.w;
              const T* dyrow = dyk + int64_t(p) * Q;
              for (int q = qr.lo; q < qr.hi; ++q) dxrow[q * st + s - g.pad] += wv * dyrow[q];
            }
          }
        }
      }
    }
}

template <typename T>
void conv2d_backward_weight(const ConvGeom& g, const T* x, const T* dy, T* dw) {
  const int P = g.p(), Q = g.q(), st = g.stride;
  const int64_t hw = int64_t(g.h) * g.w, pq = int64_t(P) * Q;
  for (int k = 0; k < g.k; ++k)
    for (int c = 0; c < g.c; ++c)
      for (int r = 0; r < g.r; ++r) {
        const TapRange pr = tap_range(P, g.h, r - g.pad, st);
        for (int s = 0; s < g.s; ++s) {
          const TapRange qr = tap_range(Q, g.w, s - g.pad, st);
          T acc = 0;
          for (int n = 0; n < g.n; ++n) {
            const T* xc = x + (int64_t(n) * g.c + c) * hw;
            const T* dyk = dy + (int64_t(n) * g.k + k) * pq;
            for (int p = pr.lo; p < pr.hi; ++p) {
              const T* xrow = xc + int64_t(p * st + r - g.pad) * g.w;
              const T* dyrow = dyk + int64_t(p) * Q;
              for (int q = qr.lo; q < qr.hi; ++q) acc += dyrow[q] * xrow[q * st + s - g.pad];
            }
          }
          dw[((int64_t(k) * g.c + c) * g.r + r) * g.s + s] += acc;
        }
      }
}

template <typename T>
void bias_backward(int n, int k, int64_t n_hw, const T* dy, T* db) {
  for (int kk = 0; kk < k; ++kk) {
    T acc = 0;
    for (int i = 0; i < n; ++i) {
      const T* d = dy + (int64_t(i) * k + kk) * n_hw;
      for (int64_t j = 0; j < n_hw; ++j) acc += d[j];
    }
    db[kk] += acc;
  }
}

#define P2P_INSTANTIATE(T)                                                            \
  template void conv2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*); \
  template void conv2d_backward_data<T>(const ConvGeom&, const T*, const T*, T*);     \
  template void conv2d_backward_weight<T>(const ConvGeom&, const T*, const T*, T*);   \
  template void bias_backward<T>(int, int, int64_t, const T*, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE

}  // namespace ref

namespace {
std::atomic<ConvPrecision> g_precision{ConvPrecision::fp32};  // conv2d.h: exact until asked
}  // namespace

void set_conv_precision(ConvPrecision p) { g_precision = p; }
ConvPrecision conv_precision() { return g_precision; }
const char* conv_precision_name(ConvPrecision p) { return p == ConvPrecision::tf32 ? "tf32" : "fp32"; }
ConvPrecision parse_conv_precision(const std::string& s) {
  if (s == "fp32") return ConvPrecision::fp32;
  if (s == "tf32") return ConvPrecision::tf32;
  P2P_FAIL("--precision '" << s << "': expected fp32 or tf32");
}

ConvGeom conv2d_geom(const Tensor& x, const Tensor& w, int stride, int pad) {
  check_rank(x, 4, "conv2d input x");
  check_rank(w, 4, "conv2d weight w");
  P2P_CHECK(stride >= 1 && pad >= 0, "conv2d: stride " << stride << " must be >= 1 and padding " << pad << " >= 0");
  P2P_CHECK(w.dim(1) == x.dim(1), "conv2d: channel mismatch: input x " << shape_str(x.shape()) << " has " << x.dim(1)
                                                                       << " channels, weight w " << shape_str(w.shape())
                                                                       << " expects " << w.dim(1));
  ConvGeom g{x.n(), x.c(), x.h(), x.w(), w.n(), w.h(), w.w(), stride, pad};
  P2P_CHECK(g.r <= g.h + 2 * pad && g.s <= g.w + 2 * pad,
            "conv2d: kernel " << g.r << "x" << g.s << " of weight w " << shape_str(w.shape())
                              << " is larger than the padded input x " << shape_str(x.shape()) << " (padding " << pad
                              << ")");
  return g;
}

namespace {
Shape y_shape(const ConvGeom& g) { return {g.n, g.k, g.p(), g.q()}; }
}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad, Tensor& y) {
  const Device dev = common_device({&x, &w, b, &y}, "conv2d_forward");
  const ConvGeom g = conv2d_geom(x, w, stride, pad);
  if (b && b->defined()) check_shape(*b, {g.k}, "conv2d_forward bias b");
  check_shape(y, y_shape(g), "conv2d_forward output y");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv2d_forward(g, x.data(), w.data(), opt_data(b), y.data()));
  else
    ref::conv2d_forward(g, x.data(), w.data(), opt_data(b), y.data());
}

// The input size is not recoverable from dy when stride > 1, so the geometry comes from dx.
void conv2d_backward_data(const Tensor& dy, const Tensor& w, int stride, int pad, Tensor& dx) {
  const Device dev = common_device({&dy, &w, &dx}, "conv2d_backward_data");
  const ConvGeom g = conv2d_geom(dx, w, stride, pad);
  check_shape(dy, y_shape(g), "conv2d_backward_data output gradient dy");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv2d_backward_data(g, dy.data(), w.data(), dx.data()));
  else
    ref::conv2d_backward_data(g, dy.data(), w.data(), dx.data());
}

void conv2d_backward_weight(const Tensor& x, const Tensor& dy, int stride, int pad, Tensor& dw) {
  const Device dev = common_device({&x, &dy, &dw}, "conv2d_backward_weight");
  const ConvGeom g = conv2d_geom(x, dw, stride, pad);
  check_shape(dy, y_shape(g), "conv2d_backward_weight output gradient dy");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::conv2d_backward_weight(g, x.data(), dy.data(), dw.data()));
  else
    ref::conv2d_backward_weight(g, x.data(), dy.data(), dw.data());
}

void bias_backward(const Tensor& dy, Tensor& db) {
  const Device dev = common_device({&dy, &db}, "bias_backward");
  check_rank(dy, 4, "bias_backward output gradient dy");
  check_shape(db, {dy.dim(1)}, "bias_backward bias gradient db");
  const int64_t n_hw = dy.dim(2) * dy.dim(3);
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::bias_backward(dy.n(), dy.c(), n_hw, dy.data(), db.data()));
  else
    ref::bias_backward(dy.n(), dy.c(), n_hw, dy.data(), db.data());
}

}  // namespace p2p
