// Losses, each the mean over the n elements of its input, returned as a 1-element tensor on the
// input's device. The backward writes dx = scale * dloss/dx, where scale is the weight of this
// loss in the total (e.g. 0.5 for the discriminator halves, lambda_L1 for L1).
//
//   bce_with_logits (target t, a constant label 0 or 1 as the GAN uses it), in the stable form
//       l = (1/n) sum max(x, 0) - x t + log(1 + exp(-|x|))       dl/dx = (sigmoid(x) - t) / n
//   mse (target t, a constant; lsgan):   l = (1/n) sum (x - t)^2  dl/dx = 2 (x - t) / n
//   l1 (target tensor y):                l = (1/n) sum |x - y|    dl/dx = sign(x - y) / n, sign(0) = 0
// The reductions are deterministic: a fixed summation order, no floating-point atomics.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

namespace ref {
// The stable forms, per element (shared with kernels/vae.cpp): sigmoid without overflow for either
// sign, the BCE term max(x, 0) - x t + log(1 + exp(-|x|)) and its gradient sigmoid(x) - t.
template <typename T>
T sigmoid(T x);
template <typename T>
T bce_term(T x, T t);
template <typename T>
T bce_grad(T x, T t);
template <typename T>
void bce_with_logits_forward(int64_t n, const T* x, T target, T* loss);
template <typename T>
void bce_with_logits_backward(int64_t n, const T* x, T target, T scale, T* dx);
template <typename T>
void mse_forward(int64_t n, const T* x, T target, T* loss);
template <typename T>
void mse_backward(int64_t n, const T* x, T target, T scale, T* dx);
template <typename T>
void l1_forward(int64_t n, const T* x, const T* y, T* loss);
template <typename T>
void l1_backward(int64_t n, const T* x, const T* y, T scale, T* dx);
}  // namespace ref

namespace cuda {
void bce_with_logits_forward(int64_t n, const float* x, float target, float* loss);
void bce_with_logits_backward(int64_t n, const float* x, float target, float scale, float* dx);
void mse_forward(int64_t n, const float* x, float target, float* loss);
void mse_backward(int64_t n, const float* x, float target, float scale, float* dx);
void l1_forward(int64_t n, const float* x, const float* y, float* loss);
void l1_backward(int64_t n, const float* x, const float* y, float scale, float* dx);
}  // namespace cuda

// loss: a [1] tensor on x's device.
void bce_with_logits_forward(const Tensor& x, float target, Tensor& loss);
void bce_with_logits_backward(const Tensor& x, float target, float scale, Tensor& dx);
void mse_forward(const Tensor& x, float target, Tensor& loss);
void mse_backward(const Tensor& x, float target, float scale, Tensor& dx);
void l1_forward(const Tensor& x, const Tensor& y, Tensor& loss);
void l1_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx);

}  // namespace p2p
