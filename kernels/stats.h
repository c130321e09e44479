// Training-health statistics (tools/train_command.cpp logs them; models/health.h gathers them): each
// reduces a flat float array of n > 0 elements (any shape, read as one run) to one or two numbers,
// written into `out` on the array's device, so that a step's statistics are read back in one copy.
// They are forward only: numbers the trainer reads, never part of a loss, so there is no backward.
//
//   l2_norm(x)          out[0] = sqrt(sum_i x_i^2)                       (a global gradient or weight norm)
//   moments(x)          out[0] = mean = (1/n) sum_i x_i
//                       out[1] = std  = sqrt((1/n) sum_i (x_i - mean)^2)  (biased: the spread of the values
//                                                                          themselves, as batch norm's)
//   mean_sigmoid(x)     out[0] = (1/n) sum_i sigmoid(x_i)                (D's mean probability "real")
//   adam_update_norm(m, v, cfg, t)
//                       out[0] = sqrt(sum_i u_i^2),  u_i = s m_i / (sqrt(v_i) / c + eps),
//                       s = lr / (1 - beta1^t), c = sqrt(1 - beta2^t): the size of the step that
//                       adam_step(..., t) (kernels/adam.h) just applied, from the m and v it left, so
//                       the update-to-weight ratio needs no copy of the weights before the step.
//
// Numerics, the one definition both implementations follow: each term is formed from the float
// inputs (x_i^2 and the shifted terms exactly, in double; sigmoid and u_i as the float kernels of
// kernels/loss.h and kernels/adam.h form them) and every sum accumulates in DOUBLE. The reference
// sums in index order; moments' reference is two-pass (the mean, then the squared deviations).
// The CUDA kernels are a fixed two-stage tree (stats.cu): same inputs, same bits, on every run.
// Their moments are one pass over d_i = x_i - x_0 (shifted sums S1 = sum d, S2 = sum d^2;
// var = S2/n - (S1/n)^2): the shift keeps the cancellation to |x_0 - mean|^2 / var, which is O(1)
// for a sample x_0, and with k terms per thread the double sums err by (k + 16) 2^-53 relative,
// far below the final rounding to float (2^-24), which is therefore the error of every result.
#pragma once
#include <cstdint>

#include "kernels/adam.h"
#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void l2_norm(int64_t n, const T* x, T* out);
template <typename T>
void moments(int64_t n, const T* x, T* out);
template <typename T>
void mean_sigmoid(int64_t n, const T* x, T* out);
template <typename T>
void adam_update_norm(int64_t n, const T* m, const T* v, T lr, T beta1, T beta2, T eps, int64_t t, T* out);
}  // namespace ref

namespace cuda {
void l2_norm(int64_t n, const float* x, float* out);
void moments(int64_t n, const float* x, float* out);
void mean_sigmoid(int64_t n, const float* x, float* out);
void adam_update_norm(int64_t n, const float* m, const float* v, float lr, float beta1, float beta2, float eps,
                      int64_t t, float* out);
}  // namespace cuda

// x non-empty; out: [1] ([2] for moments) on x's device, e.g. a slice of a larger buffer.
void l2_norm(const Tensor& x, Tensor& out);
void moments(const Tensor& x, Tensor& out);
void mean_sigmoid(const Tensor& x, Tensor& out);
// m, v: Adam's moments after adam_step(p, g, m, v, cfg, t); out [1].
void adam_update_norm(const Tensor& m, const Tensor& v, const AdamConfig& cfg, int64_t t, Tensor& out);

}  // namespace p2p
