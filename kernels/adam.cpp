// Adam in PyTorch's form over a flat buffer: CPU reference and the entry point (math in adam.h).
//   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// Algebraically p -= lr mhat / (sqrt(vhat) + eps) with mhat, vhat the bias-corrected moments, but
// computed as PyTorch does: eps is added after dividing sqrt(v) by sqrt(1 - beta2^t).
// The bias corrections are computed in double (as PyTorch does on the host) and rounded to T.
#include "kernels/adam.h"

#include <cmath>

#include "runtime/allocator.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
template <typename T>
void adam_step(int64_t n, T* p, const T* g, T* m, T* v, T lr, T beta1, T beta2, T eps, int64_t t) {
  const AdamScalars k = adam_scalars(lr, beta1, beta2, t);
  const T step_size = static_cast<T>(k.step_size), bc2_sqrt = static_cast<T>(k.bc2_sqrt);
  for (int64_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
    v[i] = beta2 * v[i] + (T(1) - beta2) * g[i] * g[i];
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
  }
}
template void adam_step<float>(int64_t, float*, const float*, float*, float*, float, float, float, float, int64_t);
template void adam_step<double>(int64_t, double*, const double*, double*, double*, double, double, double, double,
                                int64_t);
}  // namespace ref

void validate(const AdamConfig& cfg) {
  P2P_CHECK(cfg.lr >= 0.0f, "--lr " << cfg.lr << ": expected at least 0");
  P2P_CHECK(cfg.beta1 >= 0.0f && cfg.beta1 < 1.0f, "--beta1 " << cfg.beta1 << ": Adam's betas lie in [0, 1)");
  P2P_CHECK(cfg.beta2 >= 0.0f && cfg.beta2 < 1.0f, "--beta2 " << cfg.beta2 << ": Adam's betas lie in [0, 1)");
}

AdamDeviceState::AdamDeviceState()
    : p_(static_cast<AdamStepScalars*>(alloc_bytes(Device::CUDA, sizeof(AdamStepScalars)))) {
  set(0, 0.0f);
}
AdamDeviceState::~AdamDeviceState() { free_bytes(Device::CUDA, p_, sizeof(AdamStepScalars)); }
void AdamDeviceState::set(int64_t steps_done, float lr) {
  P2P_ON_CUDA(cuda::adam_set_state(p_, steps_done, lr, /*keep_steps=*/false));
}
void AdamDeviceState::set_lr(float lr) { P2P_ON_CUDA(cuda::adam_set_state(p_, 0, lr, /*keep_steps=*/true)); }
void AdamDeviceState::advance() { P2P_ON_CUDA(cuda::adam_advance_state(p_)); }

namespace {
Device check_adam(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamConfig& cfg) {
  Device dev = common_device({&p, &g, &m, &v}, "adam_step");
  P2P_CHECK(p.defined() && g.defined() && m.defined() && v.defined(), "adam_step: p, g, m and v must all be given");
  P2P_CHECK(g.numel() == p.numel() && m.numel() == p.numel() && v.numel() == p.numel(),
            "adam_step: buffers differ in size: p " << p.numel() << ", g " << g.numel() << ", m " << m.numel() << ", v "
                                                    << v.numel() << " elements");
  validate(cfg);
  return dev;
}
}  // namespace

void adam_step(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamConfig& cfg, int64_t t) {
  const Device dev = check_adam(p, g, m, v, cfg);
  P2P_CHECK(t >= 1, "adam_step: step t = " << t << ", must be >= 1 (steps count from 1)");
  if (dev == Device::CPU) {
    ref::adam_step(p.numel(), p.data(), g.data(), m.data(), v.data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, t);
    return;
  }
  static AdamDeviceState* state = new AdamDeviceState;  // never destroyed: a step may run in a static destructor
  state->set(t - 1, cfg.lr);
  adam_step(p, g, m, v, cfg, *state);
}

void adam_step(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamConfig& cfg, AdamDeviceState& state) {
  P2P_CHECK(check_adam(p, g, m, v, cfg) == Device::CUDA, "adam_step with a device state: the tensors must be on CUDA");
  P2P_ON_CUDA(
      cuda::adam_step(p.numel(), p.data(), g.data(), m.data(), v.data(), cfg.beta1, cfg.beta2, cfg.eps, state.get()));
}

}  // namespace p2p
