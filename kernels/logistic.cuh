// BCE with logits on the device, in the stable form of kernels/loss.h, shared by the GAN losses
// (kernels/loss.cu, constant labels) and the VAE's reconstruction (kernels/vae.cu, a target per pixel):
//   term(x, t) = max(x, 0) - x t + log(1 + exp(-|x|))          (no exp of a positive number)
//   grad(x, t) = sigmoid(x) - t = (1 - t) sigmoid(x) - t sigmoid(-x)
// The second form of the gradient keeps the digits that 1 - sigmoid(x) would cancel for t = 1 and a
// large logit; sigmoid itself never overflows, for either sign.
#pragma once
#include "runtime/launch.h"

namespace p2p::cuda {

__device__ inline float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

__device__ inline float bce_term(float x, float t) { return fmaxf(x, 0.0f) - x * t + log1pf(expf(-fabsf(x))); }

__device__ inline float bce_grad(float x, float t) { return (1.0f - t) * sigmoid(x) - t * sigmoid(-x); }

}  // namespace p2p::cuda
