// batch_norm2d, NCHW, as torch.nn.BatchNorm2d. Statistics per channel c over M = N*H*W values.
//
// Training:  mean_c = (1/M) sum x,   var_c = (1/M) sum (x - mean_c)^2   (biased, to normalise)
//            xhat = (x - mean_c) * invstd_c,  invstd_c = 1 / sqrt(var_c + eps)
//            y = gamma_c * xhat + beta_c                       (gamma = 1, beta = 0 without affine)
//            running_mean = (1 - momentum) running_mean + momentum mean_c
//            running_var  = (1 - momentum) running_var  + momentum var_c * M / (M - 1)  (unbiased)
// Eval:      the same with running_mean and running_var in place of the batch statistics.
// Defaults as PyTorch: eps 1e-5, momentum 0.1.
//
// Backward (training), with g = dL/dy and sums over the M positions of channel c:
//   dbeta_c  += sum g,   dgamma_c += sum g * xhat
//   dx = gamma_c * invstd_c * (g - (1/M) sum g - xhat * (1/M) sum g * xhat)
// Backward (eval): the statistics are constants, so dx = gamma_c * g / sqrt(running_var_c + eps)
//   and dgamma, dbeta as above with xhat from the running statistics.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

struct NormGeom {
  int n, c, h, w;
  int64_t hw() const { return int64_t(h) * w; }
  int64_t size() const { return int64_t(n) * c * h * w; }
};

namespace ref {
// gamma/beta null: no affine. running_mean/running_var null: not tracked. save_* get [C] values.
template <typename T>
void batch_norm_forward_train(const NormGeom& g, const T* x, const T* gamma, const T* beta, T eps, T momentum, T* y,
                              T* save_mean, T* save_invstd, T* running_mean, T* running_var);
template <typename T>
void batch_norm_forward_eval(const NormGeom& g, const T* x, const T* gamma, const T* beta, const T* running_mean,
                             const T* running_var, T eps, T* y);
// dgamma/dbeta may be null (no affine, or not wanted).
template <typename T>
void batch_norm_backward_train(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* save_mean,
                               const T* save_invstd, T* dx, T* dgamma, T* dbeta);
template <typename T>
void batch_norm_backward_eval(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* running_mean,
                              const T* running_var, T eps, T* dx, T* dgamma, T* dbeta);
}  // namespace ref

namespace cuda {
void batch_norm_forward_train(const NormGeom& g, const float* x, const float* gamma, const float* beta, float eps,
                              float momentum, float* y, float* save_mean, float* save_invstd, float* running_mean,
                              float* running_var);
void batch_norm_forward_eval(const NormGeom& g, const float* x, const float* gamma, const float* beta,
                             const float* running_mean, const float* running_var, float eps, float* y);
void batch_norm_backward_train(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                               const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                               float* dbeta);
void batch_norm_backward_eval(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                              const float* running_mean, const float* running_var, float eps, float* dx, float* dgamma,
                              float* dbeta);
}  // namespace cuda

// Tensor level. x, y, dy, dx: [N, C, H, W]; gamma, beta, saves and running statistics: [C].
void batch_norm2d_forward_train(const Tensor& x, const Tensor* gamma, const Tensor* beta, float eps, float momentum,
                                Tensor& y, Tensor& save_mean, Tensor& save_invstd, Tensor* running_mean,
                                Tensor* running_var);
void batch_norm2d_forward_eval(const Tensor& x, const Tensor* gamma, const Tensor* beta, const Tensor& running_mean,
                               const Tensor& running_var, float eps, Tensor& y);
void batch_norm2d_backward_train(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                                 const Tensor& save_invstd, Tensor& dx, Tensor* dgamma, Tensor* dbeta);
void batch_norm2d_backward_eval(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& running_mean,
                                const Tensor& running_var, float eps, Tensor& dx, Tensor* dgamma, Tensor* dbeta);

}  // namespace p2p
