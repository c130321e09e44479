// instance_norm2d, NCHW, as torch.nn.InstanceNorm2d with track_running_stats=False (pix2pix's
// "instance" norm): statistics per (n, c) over the H*W values of one image and channel, the same
// in training and in eval. Affine (gamma_c, beta_c) is optional (off in pix2pix).
//
//   mean = (1/M) sum x,  var = (1/M) sum (x - mean)^2 (biased),  M = H*W
//   xhat = (x - mean) / sqrt(var + eps),  y = gamma_c * xhat + beta_c
// Backward, sums over the M values of (n, c):
//   dx = gamma_c * invstd * (g - (1/M) sum g - xhat * (1/M) sum g * xhat)
//   dgamma_c += sum_n sum g * xhat,  dbeta_c += sum_n sum g
#pragma once
#include "kernels/batch_norm2d.h"

namespace p2p {

namespace ref {
// save_mean, save_invstd: [N*C].
template <typename T>
void instance_norm_forward(const NormGeom& g, const T* x, const T* gamma, const T* beta, T eps, T* y, T* save_mean,
                           T* save_invstd);
template <typename T>
void instance_norm_backward(const NormGeom& g, const T* dy, const T* x, const T* gamma, const T* save_mean,
                            const T* save_invstd, T* dx, T* dgamma, T* dbeta);
}  // namespace ref

namespace cuda {
void instance_norm_forward(const NormGeom& g, const float* x, const float* gamma, const float* beta, float eps,
                           float* y, float* save_mean, float* save_invstd);
void instance_norm_backward(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                            const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta);
}  // namespace cuda

// save_mean, save_invstd: [N, C].
void instance_norm2d_forward(const Tensor& x, const Tensor* gamma, const Tensor* beta, float eps, Tensor& y,
                             Tensor& save_mean, Tensor& save_invstd);
void instance_norm2d_backward(const Tensor& dy, const Tensor& x, const Tensor* gamma, const Tensor& save_mean,
                              const Tensor& save_invstd, Tensor& dx, Tensor* dgamma, Tensor* dbeta);

}  // namespace p2p
