// instance_norm2d CUDA path. The math is in instance_norm2d.h. As in the reference
// (instance_norm2d.cpp), instance norm of x [N, C, H, W] runs batch norm's training kernels on the
// same memory seen as [1, N*C, H, W]: one statistics group per (n, c), reduced deterministically by
// one block (one warp when H*W is small) or a fixed set of chunks. Only the affine parameters
// differ: gamma and beta are repeated over n into [N*C] buffers for the call, and the per-(n, c)
// dgamma/dbeta it produces are summed over n in order n = 0..N-1 before the += into the [C]
// gradients. dx is written, dgamma/dbeta accumulated (+=).
#include "kernels/instance_norm2d.h"
#include "runtime/dispatch.h"
#include "runtime/launch.h"

namespace p2p::cuda {

namespace {

NormGeom as_batch_norm(const NormGeom& g) { return NormGeom{1, g.n * g.c, g.h, g.w}; }

// out[n*C + c] = param[c].
__global__ void repeat_per_image_kernel(int n, int c, const float* __restrict__ param, float* __restrict__ out) {
  const int64_t total = int64_t(n) * c, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += stride) out[i] = param[i % c];
}

// dparam[c] += sum over n of part[n*C + c], summed in order n = 0..N-1; one thread per channel,
// striding over the channels.
__global__ void sum_over_images_kernel(int n, int c, const float* __restrict__ part, float* __restrict__ dparam) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < c; k += stride) {
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += part[int64_t(i) * c + k];
    dparam[k] += sum;
  }
}

// [C] -> [N*C] on the GPU, or an undefined tensor when param is null.
Tensor per_image(const NormGeom& g, const float* param) {
  if (!param) return Tensor();
  Tensor out({int64_t(g.n) * g.c}, Device::CUDA);
  P2P_LAUNCH(repeat_per_image_kernel, grid_for(out.numel(), 256), 256, g.n, g.c, param, out.data());
  return out;
}

// A zeroed [N*C] buffer for per-(n, c) gradients, or an undefined tensor when grad is null.
Tensor per_image_grad(const NormGeom& g, const float* grad) {
  return grad ? Tensor::zeros({int64_t(g.n) * g.c}, Device::CUDA) : Tensor();
}

void sum_over_images(const NormGeom& g, const Tensor& part, float* grad) {
  if (!grad) return;
  P2P_LAUNCH(sum_over_images_kernel, grid_for(g.c, 256), 256, g.n, g.c, part.data(), grad);
}

}  // namespace

void instance_norm_forward(const NormGeom& g, const float* x, const float* gamma, const float* beta, float eps,
                           float* y, float* save_mean, float* save_invstd) {
  if (g.size() == 0) return;
  Tensor gamma_nc = per_image(g, gamma), beta_nc = per_image(g, beta);
  batch_norm_forward_train(as_batch_norm(g), x, opt_data(&gamma_nc), opt_data(&beta_nc), eps, 0.0f, y, save_mean,
                           save_invstd, nullptr, nullptr);
}

void instance_norm_backward(const NormGeom& g, const float* dy, const float* x, const float* gamma,
                            const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  if (g.size() == 0) return;
  Tensor gamma_nc = per_image(g, gamma);
  Tensor dgamma_nc = per_image_grad(g, dgamma), dbeta_nc = per_image_grad(g, dbeta);
  batch_norm_backward_train(as_batch_norm(g), dy, x, opt_data(&gamma_nc), save_mean, save_invstd, dx,
                            opt_data(&dgamma_nc), opt_data(&dbeta_nc));
  sum_over_images(g, dgamma_nc, dgamma);
  sum_over_images(g, dbeta_nc, dbeta);
}

}  // namespace p2p::cuda
