// Adam (Kingma & Ba, 2015) in PyTorch's form (torch.optim.Adam, no weight decay, no amsgrad),
// applied in one pass over a flat parameter buffer. With t the step number counted from 1:
//
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

struct AdamConfig {
  float lr = 2e-4f;
  float beta1 = 0.5f;  // pix2pix's value; PyTorch's default is 0.9
  float beta2 = 0.999f;
  float eps = 1e-8f;
};

// lr >= 0 and beta1, beta2 in [0, 1) (at 1 the bias corrections 1 - beta^t are 0); errors name the
// command-line flags (--lr, --beta1, --beta2).
void validate(const AdamConfig& cfg);

// The step's two scalars, s = lr / (1 - beta1^t) and c = sqrt(1 - beta2^t), computed in double (as
// PyTorch does on the host); each implementation rounds them to its T once. Shared with the
// update-norm statistic (kernels/stats.h), which recomputes the step's size from m and v.
struct AdamScalars {
  double step_size, bc2_sqrt;
};
AdamScalars adam_scalars(double lr, double beta1, double beta2, int64_t t);

namespace ref {
template <typename T>
void adam_step(int64_t n, T* p, const T* g, T* m, T* v, T lr, T beta1, T beta2, T eps, int64_t t);
}  // namespace ref

namespace cuda {
void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, float eps,
               int64_t t);
}  // namespace cuda

// p, g, m, v: the same element count, on one device. t >= 1.
void adam_step(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamConfig& cfg, int64_t t);

}  // namespace p2p
