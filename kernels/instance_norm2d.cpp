// instance_norm2d: the CPU reference and the tensor-level entry points. The math is in
// instance_norm2d.h: statistics per (n, c) over the M = H*W values of one image and channel.
//
// Instance norm of x [N, C, H, W] is batch norm (training statistics, no running statistics) of the
// same memory seen as [1, N*C, H, W]: group n*C + c there is image n, channel c here. The only
// difference is the affine parameters, which belong to channel c alone: gamma and beta are repeated
// over n for the batch-norm call, and its per-group dgamma/dbeta are summed over n afterwards, in
// order n = 0..N-1. Both the reference and the CUDA path are built this way, on batch norm's.
// dx is written, dgamma/dbeta accumulate (+=).
#include "kernels/instance_norm2d.h"

#include <string>
#include <vector>

#include "kernels/norm_shapes.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {

namespace {
NormGeom as_batch_norm(const NormGeom& g) { return NormGeom{1, g.n * g.c, g.h, g.w}; }

// [C] -> [N*C]: param repeated for each image, or empty (null) when param is null.
template <typename T>
std::vector<T> per_image(const NormGeom& g, const T* param) {
  std::vector<T> out;
  if (param)
    for (int n = 0; n < g.n; ++n) out.insert(out.end(), param, param + g.c);
  return out;
}
template <typename T>
T* data_or_null(std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}
}  // namespace

template <typename T>
void instance_norm_forward(const NormGeom& g, const T* x, const T* gamma, const T* beta, T eps, T* y, T* save_mean,
                           T* save_invstd) {
  std::vector<T> gamma_nc = per_image(g, gamma), beta_nc = per_image(g, beta);
  batch_norm_forward_train<T>(as_batch_norm(g), x, data_or_null(gamma_nc), data_or_null(beta_nc), eps, T(0), y,
                              save_mean, save_invstd, nullptr, nullptr);
}

template <typename T>
void instance_norm_backward(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* save_mean,
                            const T* save_invstd, T* dx, T* dgamma, T* dbeta) {
  std::vector<T> gamma_nc = per_image(g, gamma);
  std::vector<T> dgamma_nc(dgamma ? size_t(g.n) * g.c : 0, T(0)), dbeta_nc(dbeta ? size_t(g.n) * g.c : 0, T(0));
  batch_norm_backward_train<T>(as_batch_norm(g), dy, x, data_or_null(gamma_nc), save_mean, save_invstd, dx,
                               data_or_null(dgamma_nc), data_or_null(dbeta_nc));
  for (int c = 0; c < g.c; ++c)
    for (int n = 0; n < g.n; ++n) {
      if (dgamma) dgamma[c] += dgamma_nc[size_t(n) * g.c + c];
      if (dbeta) dbeta[c] += dbeta_nc[size_t(n) * g.c + c];
    }
}

#define P2P_INSTANTIATE(T)                                                                                           \
  template void instance_norm_forward<T>(const NormGeom&, const T*, const T*, const T*, T, T*, T*, T*);              \
  template void instance_norm_backward<T>(const NormGeom&, const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                          T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE

}  // namespace ref

namespace {
// The shapes of norm_shapes.h, and the saved statistics: one value per image and channel, [N, C].
struct Shapes : NormShapes {
  using NormShapes::NormShapes;
  void per_image_channel(const Tensor& t, const char* name) const {
    check_shape(t, {x.dim(0), x.dim(1)},
                (std::string(op) + ": " + name + " (one value per image and channel)").c_str());
  }
};
}  // namespace

void instance_norm2d_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float eps, Tensor& y,
                             Tensor& save_mean, Tensor& save_invstd) {
  Shapes s{"instance_norm2d_forward", x};
  Device dev = common_device({&x, gamma, beta, &y, &save_mean, &save_invstd}, s.op);
  NormGeom g = s.geom();
  s.like_x(y, "y");
  s.per_channel(gamma, "gamma");
  s.per_channel(beta, "beta");
  s.per_image_channel(save_mean, "save_mean");
  s.per_image_channel(save_invstd, "save_invstd");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::instance_norm_forward(g, x.data(), opt_data(gamma), opt_data(beta), eps, y.data(),
                                            save_mean.data(), save_invstd.data()));
  else
    ref::instance_norm_forward(g, x.data(), opt_data(gamma), opt_data(beta), eps, y.data(), save_mean.data(),
                               save_invstd.data());
}

void instance_norm2d_backward(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                              const Tensor& save_invstd, Tensor& dx, Tensor* dgamma, Tensor* dbeta) {
  Shapes s{"instance_norm2d_backward", x};
  Device dev = common_device({&dy, &x, gamma, &save_mean, &save_invstd, &dx, dgamma, dbeta}, s.op);
  NormGeom g = s.geom();
  s.like_x(dy, "dy");
  s.like_x(dx, "dx");
  s.per_channel(gamma, "gamma");
  s.per_image_channel(save_mean, "save_mean");
  s.per_image_channel(save_invstd, "save_invstd");
  s.per_channel(dgamma, "dgamma");
  s.per_channel(dbeta, "dbeta");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::instance_norm_backward(g, dy.data(), x.data(), opt_data(gamma), save_mean.data(),
                                             save_invstd.data(), dx.data(), opt_data(dgamma), opt_data(dbeta)));
  else
    ref::instance_norm_backward(g, dy.data(), x.data(), opt_data(gamma), save_mean.data(), save_invstd.data(),
                                dx.data(), opt_data(dgamma), opt_data(dbeta));
}

}  // namespace p2p
