// The variational autoencoder's ops (Kingma & Welling 2014): the reparameterisation, the KL term and
// the reconstruction losses, each summed over an image and averaged over the batch, as the VAE
// objective is written per example (models/vae.h).
//
// Layout. The encoder's head is one convolution with 2L outputs, so its output stats [N, 2L, 1, 1]
// holds image n's mean at stats[n 2L + j] and its log-variance at stats[n 2L + L + j], j < L
// (L: the latent size). eps and z are [N, L, 1, 1] (any shapes with N L elements).
//
//   reparameterize   z = mu + exp(lv / 2) eps              (eps ~ N(0, 1) drawn by the caller)
//                    dmu = dz,  dlv = dz eps exp(lv / 2) / 2                       (dstats written)
//   kl               KL = (1/N) sum_n sum_j -(1 + lv - mu^2 - exp(lv)) / 2
//                       = (1/N) sum 0.5 (mu^2 + expm1(lv) - lv)   (each term >= 0; expm1 keeps the
//                    digits that exp(lv) - 1 would cancel near lv = 0)
//                    dKL/dmu = mu / N,  dKL/dlv = expm1(lv) / (2N)       (dstats written, times scale)
//   recon_mse        R = (1/N) sum_i (x_i - y_i)^2          dR/dx = 2 (x - y) / N
//   recon_bce        R = (1/N) sum_i BCE(x_i, t_i), x_i a logit, t_i = (y_i + 1) / 2 in [0, 1]
//                       = (1/N) sum max(x, 0) - x t + log(1 + exp(-|x|))   (the stable form, loss.h)
//                    dR/dx = (sigmoid(x) - t) / N
// y is the target image in the network's [-1, 1]; N is x's first dimension (n_images). Each
// backward writes its gradient (=) times scale, the weight of the term in the total (beta for KL).
// The reductions are deterministic: a fixed summation order, no floating-point atomics.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void reparameterize_forward(int64_t n, int64_t latent, const T* stats, const T* eps, T* z);
template <typename T>
void reparameterize_backward(int64_t n, int64_t latent, const T* stats, const T* eps, const T* dz, T* dstats);
template <typename T>
void kl_forward(int64_t n, int64_t latent, const T* stats, T* loss);
template <typename T>
void kl_backward(int64_t n, int64_t latent, const T* stats, T scale, T* dstats);
// numel: the elements of x (and y); n: the images among them.
template <typename T>
void recon_mse_forward(int64_t n, int64_t numel, const T* x, const T* y, T* loss);
template <typename T>
void recon_mse_backward(int64_t n, int64_t numel, const T* x, const T* y, T scale, T* dx);
template <typename T>
void recon_bce_forward(int64_t n, int64_t numel, const T* x, const T* y, T* loss);
template <typename T>
void recon_bce_backward(int64_t n, int64_t numel, const T* x, const T* y, T scale, T* dx);
}  // namespace ref

namespace cuda {
void reparameterize_forward(int64_t n, int64_t latent, const float* stats, const float* eps, float* z);
void reparameterize_backward(int64_t n, int64_t latent, const float* stats, const float* eps, const float* dz,
                             float* dstats);
void kl_forward(int64_t n, int64_t latent, const float* stats, float* loss);
void kl_backward(int64_t n, int64_t latent, const float* stats, float scale, float* dstats);
void recon_mse_forward(int64_t n, int64_t numel, const float* x, const float* y, float* loss);
void recon_mse_backward(int64_t n, int64_t numel, const float* x, const float* y, float scale, float* dx);
void recon_bce_forward(int64_t n, int64_t numel, const float* x, const float* y, float* loss);
void recon_bce_backward(int64_t n, int64_t numel, const float* x, const float* y, float scale, float* dx);
}  // namespace cuda

// stats [N, 2L, ...] with N L = eps.numel(); z and dz like eps, dstats like stats; loss a [1] tensor.
void reparameterize_forward(const Tensor& stats, const Tensor& eps, Tensor& z);
void reparameterize_backward(const Tensor& stats, const Tensor& eps, const Tensor& dz, Tensor& dstats);
void kl_forward(const Tensor& stats, Tensor& loss);
void kl_backward(const Tensor& stats, float scale, Tensor& dstats);
// x and y [N, C, H, W] of one shape.
void recon_mse_forward(const Tensor& x, const Tensor& y, Tensor& loss);
void recon_mse_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx);
void recon_bce_forward(const Tensor& x, const Tensor& y, Tensor& loss);
void recon_bce_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx);

}  // namespace p2p
