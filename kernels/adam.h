// Adam (Kingma & Ba, 2015) in PyTorch's form (torch.optim.Adam, no weight decay, no amsgrad),
// applied in one pass over a flat parameter buffer. With t the step number counted from 1:
//
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p = p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// On CUDA, t and lr are read from device memory (AdamDeviceState) when the update runs, and the two
// bias-corrected scalars are computed there, in double, by one thread: a CUDA graph captured at one
// step then replays the next ones exactly, and the graphed and the ungraphed step share that one
// computation, so they agree bit for bit.
#pragma once
#include <math.h>

#include <cstdint>

#include "runtime/host_device.h"
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
// PyTorch does on the host; the CUDA update on the device, from AdamDeviceState); each implementation
// rounds them to its T once. Shared with the update-norm statistic (kernels/stats.h), which recomputes
// the step's size from m and v.
struct AdamScalars {
  double step_size, bc2_sqrt;
};
P2P_HD AdamScalars adam_scalars(double lr, double beta1, double beta2, int64_t t) {
  const double td = static_cast<double>(t);
  return {lr / (1.0 - pow(beta1, td)), sqrt(1.0 - pow(beta2, td))};
}

// What the CUDA update reads in device memory: the steps done before it (t = steps_done + 1) and the
// learning rate, which the owner sets between steps and advances at the end of each step, both on
// the device (AdamDeviceState); then the scalars the update derives from them.
struct AdamStepScalars {
  int64_t steps_done;
  float lr;
  float step_size, bc2_sqrt;  // written by each update, from the fields above
};

// An AdamStepScalars in device memory (CUDA only), owned. Its setters are kernels on cuda::stream()
// with the values as arguments: call them between steps, not inside a captured one (the graph would
// set the same values at each replay).
class AdamDeviceState {
 public:
  AdamDeviceState();
  ~AdamDeviceState();
  AdamDeviceState(const AdamDeviceState&) = delete;
  AdamDeviceState& operator=(const AdamDeviceState&) = delete;

  void set(int64_t steps_done, float lr);
  void set_lr(float lr);
  // steps_done += 1 on the device, queued after the step's updates (part of a captured step).
  void advance();
  AdamStepScalars* get() { return p_; }
  const int64_t* steps_done() const { return &p_->steps_done; }  // for dropout offsets (runtime/random.h)

 private:
  AdamStepScalars* p_;
};

namespace ref {
template <typename T>
void adam_step(int64_t n, T* p, const T* g, T* m, T* v, T lr, T beta1, T beta2, T eps, int64_t t);
}  // namespace ref

namespace cuda {
// t and lr from state (device memory); state's step_size and bc2_sqrt are written first.
void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float beta1, float beta2, float eps,
               AdamStepScalars* state);
// One-thread kernels that edit the state in stream order (no host synchronisation): set steps_done
// (unless keep_steps) and lr; steps_done += 1.
void adam_set_state(AdamStepScalars* state, int64_t steps_done, float lr, bool keep_steps);
void adam_advance_state(AdamStepScalars* state);
}  // namespace cuda

// p, g, m, v: the same element count, on one device. t >= 1. On CUDA, t and cfg.lr are first set
// into a device state of this function's own: a captured step would replay them frozen, so a step
// meant for a CUDA graph uses the overload below.
void adam_step(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamConfig& cfg, int64_t t);
// CUDA only: t and the learning rate from state (cfg's lr is not read), for a step that a CUDA graph
// may replay.
void adam_step(Tensor& p, const Tensor& g, Tensor& m, Tensor& v, const AdamConfig& cfg, AdamDeviceState& state);

}  // namespace p2p
