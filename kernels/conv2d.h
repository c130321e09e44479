// conv2d: 2-D cross-correlation, NCHW, as torch.nn.Conv2d (groups 1, dilation 1).
//
//   y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, c, p*stride + r - pad, q*stride + s - pad] * w[k,c,r,s]
//   x: [N, C, H, W]   w: [K, C, R, S]   b: [K] (optional)   y: [N, K, P, Q]
//   P = (H + 2 pad - R) / stride + 1,  Q = (W + 2 pad - S) / stride + 1  (out-of-range x reads 0)
//
// Backward, with dy = dL/dy:
//   dx[n,c,h,w] = sum_{k,r,s : h = p*stride + r - pad, w = q*stride + s - pad} dy[n,k,p,q] * w[k,c,r,s]
//   dw[k,c,r,s] += sum_{n,p,q} dy[n,k,p,q] * x[n, c, p*stride + r - pad, q*stride + s - pad]
//   db[k]       += sum_{n,p,q} dy[n,k,p,q]
// Gradient convention (all ops): activation gradients (dx) are written, parameter gradients (dw,
// db) are accumulated with +=; the trainer zeroes the flat gradient buffer before each backward.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>

#include "runtime/check.h"
#include "runtime/tensor.h"

namespace p2p {

struct ConvGeom {
  int n, c, h, w;  // input
  int k, r, s;     // output channels, kernel height and width
  int stride, pad;
  int p() const { return (h + 2 * pad - r) / stride + 1; }
  int q() const { return (w + 2 * pad - s) / stride + 1; }
  int64_t x_size() const { return int64_t(n) * c * h * w; }
  int64_t w_size() const { return int64_t(k) * c * r * s; }
  int64_t y_size() const { return int64_t(n) * k * p() * q(); }
  double flops() const { return 2.0 * n * k * p() * q() * c * r * s; }  // one forward
};

namespace ref {
template <typename T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* b, T* y);
template <typename T>
void conv2d_backward_data(const ConvGeom& g, const T* dy, const T* w, T* dx);
template <typename T>
void conv2d_backward_weight(const ConvGeom& g, const T* x, const T* dy, T* dw);
// db[k] += sum over n and the n_hw spatial positions of dy[n,k,:]; shared by conv_transpose2d.
template <typename T>
void bias_backward(int n, int k, int64_t n_hw, const T* dy, T* db);
}  // namespace ref

// The arithmetic of the CUDA convolutions (conv2d and conv_transpose2d, every pass):
//   fp32  the FP32 SIMT kernels: float products, float sums (the exact path)
//   tf32  the tensor-core kernels (conv_tc.cuh): both factors of each product rounded to TF32, 10
//         mantissa bits (runtime/tf32.h), the products summed in float; as PyTorch's convolutions by
//         default (torch.backends.cudnn.allow_tf32)
// A process-wide setting that every CUDA conv launch reads, like allow_tf32. It starts at fp32, so
// that a library user or a test gets TF32 only by asking; the gan tool asks by default (--precision).
// The CPU reference is always exact.
enum class ConvPrecision { fp32, tf32 };
void set_conv_precision(ConvPrecision p);
ConvPrecision conv_precision();
const char* conv_precision_name(ConvPrecision p);          // "fp32" or "tf32"
ConvPrecision parse_conv_precision(const std::string& s);  // "fp32" or "tf32"; else an error naming --precision
// The precision for the scope's lifetime, then the previous one again (for a command or a test case
// inside a longer-lived process).
class ConvPrecisionScope {
 public:
  explicit ConvPrecisionScope(ConvPrecision p) : saved_(conv_precision()) { set_conv_precision(p); }
  ~ConvPrecisionScope() { set_conv_precision(saved_); }
  ConvPrecisionScope(const ConvPrecisionScope&) = delete;
  ConvPrecisionScope& operator=(const ConvPrecisionScope&) = delete;

 private:
  ConvPrecision saved_;
};

namespace cuda {
// The CUDA kernels index in 32-bit ints. Sizes inside one image or the weight tensor (C*H*W, K*P*Q,
// K*C*R*S) must fit an int; the GEMM extents (N*P*Q, N*H*W, C*R*S, K*R*S) must stay at or below
// kMaxGemmExtent, so that the tile kernel's split-K chunk ends, up to 2 * extent + 14, fit too
// (derivation in conv2d.cu, next to the kernel). Every CUDA launcher calls check_sizes first; it is
// a host function, so the limits are tested without a GPU.
constexpr int64_t kMaxGemmExtent = (INT32_MAX - 14) / 2;  // 1073741816
inline void check_sizes(const ConvGeom& g, const char* op) {
  const int64_t per_image = std::max({int64_t(g.c) * g.h * g.w, int64_t(g.k) * g.p() * g.q(), g.w_size()});
  const int64_t extent = std::max(
      {int64_t(g.n) * g.p() * g.q(), int64_t(g.n) * g.h * g.w, int64_t(g.c) * g.r * g.s, int64_t(g.k) * g.r * g.s});
  P2P_CHECK(per_image <= INT32_MAX, op << ": " << per_image << " elements in one image or the weight tensor, beyond "
                                       << "the CUDA kernels' 32-bit indexing (at most " << INT32_MAX << ")");
  P2P_CHECK(extent <= kMaxGemmExtent, op << ": GEMM extent " << extent << " (the largest of N*P*Q, N*H*W, C*R*S, "
                                         << "K*R*S) exceeds the CUDA kernels' 32-bit limit " << kMaxGemmExtent);
}
void conv2d_forward(const ConvGeom& g, const float* x, const float* w, const float* b, float* y);
// bias: dx[n,c,:] += bias[c] in the same pass (conv_transpose2d's forward bias); null for conv2d.
void conv2d_backward_data(const ConvGeom& g, const float* dy, const float* w, float* dx, const float* bias = nullptr);
void conv2d_backward_weight(const ConvGeom& g, const float* x, const float* dy, float* dw);
void bias_backward(int n, int k, int64_t n_hw, const float* dy, float* db);
}  // namespace cuda

// Tensor level: outputs are allocated by the caller and their shapes checked. b / db may be null.
ConvGeom conv2d_geom(const Tensor& x, const Tensor& w, int stride, int pad);
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int pad, Tensor& y);
void conv2d_backward_data(const Tensor& dy, const Tensor& w, int stride, int pad, Tensor& dx);
void conv2d_backward_weight(const Tensor& x, const Tensor& dy, int stride, int pad, Tensor& dw);
void bias_backward(const Tensor& dy, Tensor& db);

}  // namespace p2p
