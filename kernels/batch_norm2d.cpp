// batch_norm2d: the CPU reference (the specification the CUDA kernels must match) and the
// tensor-level entry points. The math and PyTorch's numerics are in batch_norm2d.h: statistics per
// channel c over its M = N*H*W values (NCHW: value i of image n at x[(n*C + c)*H*W + i]), biased
// variance to normalise, unbiased for running_var, eps inside the square root. dx is written,
// dgamma/dbeta accumulate (+=; the caller zeroes them once per step).
//
// Sums accumulate in double for both instantiations, so the float reference is accurate at large M.
#include "kernels/batch_norm2d.h"

#include <cmath>

#include "kernels/norm_shapes.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {

namespace {
// Index of value i (0 <= i < H*W) of image n in channel c.
int64_t at(const NormGeom& g, int n, int c, int64_t i) { return (int64_t(n) * g.c + c) * g.hw() + i; }
}  // namespace

template <typename T>
void batch_norm_forward_train(const NormGeom& g, const T* x, const T* gamma, const T* beta, T eps, T momentum, T* y,
                              T* save_mean, T* save_invstd, T* running_mean, T* running_var) {
  const int64_t m = int64_t(g.n) * g.hw();
  P2P_CHECK(m > 1 || !running_var,
            "batch_norm_forward_train: the unbiased running variance needs more than 1 value "
            "per channel, got M = N*H*W = "
                << m);
  for (int c = 0; c < g.c; ++c) {
    double sum = 0.0;
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) sum += x[at(g, n, c, i)];
    const double mean = sum / double(m);
    double sq = 0.0;
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) sq += (x[at(g, n, c, i)] - mean) * (x[at(g, n, c, i)] - mean);
    const double var = sq / double(m);  // biased: used to normalise
    const T invstd = T(1) / std::sqrt(T(var) + eps);
    const T gm = gamma ? gamma[c] : T(1), bt = beta ? beta[c] : T(0);
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) y[at(g, n, c, i)] = (x[at(g, n, c, i)] - T(mean)) * invstd * gm + bt;
    save_mean[c] = T(mean);
    save_invstd[c] = invstd;
    if (running_mean) running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * T(mean);
    if (running_var) running_var[c] = (T(1) - momentum) * running_var[c] + momentum * T(var * m / (m - 1));
  }
}

template <typename T>
void batch_norm_forward_eval(const NormGeom& g, const T* x, const T* gamma, const T* beta, const T* running_mean,
                             const T* running_var, T eps, T* y) {
  for (int c = 0; c < g.c; ++c) {
    const T invstd = T(1) / std::sqrt(running_var[c] + eps);
    const T gm = gamma ? gamma[c] : T(1), bt = beta ? beta[c] : T(0);
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) y[at(g, n, c, i)] = (x[at(g, n, c, i)] - running_mean[c]) * invstd * gm + bt;
  }
}

namespace {
// The backward shared by training and eval for one channel, given that channel's mean and invstd:
//   sum_g = sum dy, sum_gx = sum dy * xhat;  dbeta += sum_g, dgamma += sum_gx;
//   dx = gamma * invstd * (dy - center * (sum_g / M + xhat * sum_gx / M))
// with center = 1 in training (the statistics depend on x) and 0 in eval (they are constants).
template <typename T>
void channel_backward(const NormGeom& g, int c, const T* dy, const T* x, const T* gamma, T mean, T invstd, T center,
                      T* dx, T* dgamma, T* dbeta) {
  const double m = double(g.n) * double(g.hw());
  double sum_g = 0.0, sum_gx = 0.0;
  for (int n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.hw(); ++i) {
      sum_g += dy[at(g, n, c, i)];
      sum_gx += dy[at(g, n, c, i)] * (x[at(g, n, c, i)] - mean) * invstd;
    }
  if (dbeta) dbeta[c] += T(sum_g);
  if (dgamma) dgamma[c] += T(sum_gx);
  const T mean_g = center * T(sum_g / m), mean_gx = center * T(sum_gx / m);
  const T scale = (gamma ? gamma[c] : T(1)) * invstd;
  for (int n = 0; n < g.n; ++n)
    for (int64_t i = 0; i < g.hw(); ++i) {
      const T xhat = (x[at(g, n, c, i)] - mean) * invstd;
      dx[at(g, n, c, i)] = scale * (dy[at(g, n, c, i)] - mean_g - xhat * mean_gx);
    }
}
}  // namespace

template <typename T>
void batch_norm_backward_train(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* save_mean,
                               const T* save_invstd, T* dx, T* dgamma, T* dbeta) {
  for (int c = 0; c < g.c; ++c)
    channel_backward(g, c, dy, x, gamma, save_mean[c], save_invstd[c], T(1), dx, dgamma, dbeta);
}

template <typename T>
void batch_norm_backward_eval(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* running_mean,
                              const T* running_var, T eps, T* dx, T* dgamma, T* dbeta) {
  for (int c = 0; c < g.c; ++c) {
    const T invstd = T(1) / std::sqrt(running_var[c] + eps);
    channel_backward(g, c, dy, x, gamma, running_mean[c], invstd, T(0), dx, dgamma, dbeta);
  }
}

#define P2P_INSTANTIATE(T)                                                                                            \
  template void batch_norm_forward_train<T>(const NormGeom&, const T*, const T*, const T*, T, T, T*, T*, T*, T*, T*); \
  template void batch_norm_forward_eval<T>(const NormGeom&, const T*, const T*, const T*, const T*, const T*, T, T*); \
  template void batch_norm_backward_train<T>(const NormGeom&, const T*, const T*, const T*, const T*, const T*, T*,   \
                                             T*, T*);                                                                 \
  template void batch_norm_backward_eval<T>(const NormGeom&, const T*, const T*, const T*, const T*, const T*, T, T*, \
                                            T*, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE

}  // namespace ref

void batch_norm2d_forward_train(const Tensor& x, const Tensor* gamma, const Tensor* beta, float eps, float momentum,
                                Tensor& y, Tensor& save_mean, Tensor& save_invstd, Tensor* running_mean,
                                Tensor* running_var) {
  NormShapes s{"batch_norm2d_forward_train", x};
  Device dev = common_device({&x, gamma, beta, &y, &save_mean, &save_invstd, running_mean, running_var}, s.op);
  NormGeom g = s.geom();
  s.like_x(y, "y");
  s.per_channel(gamma, "gamma");
  s.per_channel(beta, "beta");
  s.per_channel(save_mean, "save_mean");
  s.per_channel(save_invstd, "save_invstd");
  s.per_channel(running_mean, "running_mean");
  s.per_channel(running_var, "running_var");
  // As PyTorch: one value per channel gives no batch statistics (and no unbiased variance).
  P2P_CHECK(int64_t(g.n) * g.hw() > 1,
            s.op << ": expected more than 1 value per channel when training, got x " << shape_str(x.shape()));
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::batch_norm_forward_train(g, x.data(), opt_data(gamma), opt_data(beta), eps, momentum, y.data(),
                                               save_mean.data(), save_invstd.data(), opt_data(running_mean),
                                               opt_data(running_var)));
  else
    ref::batch_norm_forward_train(g, x.data(), opt_data(gamma), opt_data(beta), eps, momentum, y.data(),
                                  save_mean.data(), save_invstd.data(), opt_data(running_mean), opt_data(running_var));
}

void batch_norm2d_forward_eval(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& running_mean,
                               const Tensor& running_var, float eps, Tensor& y) {
  NormShapes s{"batch_norm2d_forward_eval", x};
  Device dev = common_device({&x, gamma, beta, &running_mean, &running_var, &y}, s.op);
  NormGeom g = s.geom();
  s.like_x(y, "y");
  s.per_channel(gamma, "gamma");
  s.per_channel(beta, "beta");
  s.per_channel(running_mean, "running_mean");
  s.per_channel(running_var, "running_var");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::batch_norm_forward_eval(g, x.data(), opt_data(gamma), opt_data(beta), running_mean.data(),
                                              running_var.data(), eps, y.data()));
  else
    ref::batch_norm_forward_eval(g, x.data(), opt_data(gamma), opt_data(beta), running_mean.data(), running_var.data(),
                                 eps, y.data());
}

void batch_norm2d_backward_train(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                                 const Tensor& save_invstd, Tensor& dx, Tensor* dgamma, Tensor* dbeta) {
  NormShapes s{"batch_norm2d_backward_train", x};
  Device dev = common_device({&dy, &x, gamma, &save_mean, &save_invstd, &dx, dgamma, dbeta}, s.op);
  NormGeom g = s.geom();
  s.like_x(dy, "dy");
  s.like_x(dx, "dx");
  s.per_channel(gamma, "gamma");
  s.per_channel(save_mean, "save_mean");
  s.per_channel(save_invstd, "save_invstd");
  s.per_channel(dgamma, "dgamma");
  s.per_channel(dbeta, "dbeta");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::batch_norm_backward_train(g, dy.data(), x.data(), opt_data(gamma), save_mean.data(),
                                                save_invstd.data(), dx.data(), opt_data(dgamma), opt_data(dbeta)));
  else
    ref::batch_norm_backward_train(g, dy.data(), x.data(), opt_data(gamma), save_mean.data(), save_invstd.data(),
                                   dx.data(), opt_data(dgamma), opt_data(dbeta));
}

void batch_norm2d_backward_eval(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& running_mean,
                                const Tensor& running_var, float eps, Tensor& dx, Tensor* dgamma, Tensor* dbeta) {
  NormShapes s{"batch_norm2d_backward_eval", x};
  Device dev = common_device({&dy, &x, gamma, &running_mean, &running_var, &dx, dgamma, dbeta}, s.op);
  NormGeom g = s.geom();
  s.like_x(dy, "dy");
  s.like_x(dx, "dx");
  s.per_channel(gamma, "gamma");
  s.per_channel(running_mean, "running_mean");
  s.per_channel(running_var, "running_var");
  s.per_channel(dgamma, "dgamma");
  s.per_channel(dbeta, "dbeta");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::batch_norm_backward_eval(g, dy.data(), x.data(), opt_data(gamma), running_mean.data(),
                                               running_var.data(), eps, dx.data(), opt_data(dgamma), opt_data(dbeta)));
  else
    ref::batch_norm_backward_eval(g, dy.data(), x.data(), opt_data(gamma), running_mean.data(), running_var.data(), eps,
                                  dx.data(), opt_data(dgamma), opt_data(dbeta));
}

}  // namespace p2p
