// Adam on the GPU: one fused pointwise map over the flat buffer (kernels/pointwise_map.cuh), reading
// p, g, m, v and writing p, m, v in place, float4 at a time when aligned. The bias corrections are
// computed in double as in the reference (adam_scalars, the same code), but on the device by one
// thread from the state's t and lr, and read by the map from there: nothing of the step is a kernel
// argument, so a captured step replays with the current t and lr.
#include "kernels/adam.h"
#include "kernels/pointwise_map.cuh"

namespace p2p::cuda {

namespace {
__global__ void adam_scalars_kernel(AdamStepScalars* s, float beta1, float beta2) {
  const AdamScalars k = adam_scalars(s->lr, beta1, beta2, s->steps_done + 1);
  s->step_size = static_cast<float>(k.step_size);
  s->bc2_sqrt = static_cast<float>(k.bc2_sqrt);
}

__global__ void set_state_kernel(AdamStepScalars* s, int64_t steps_done, float lr, bool keep_steps) {
  if (!keep_steps) s->steps_done = steps_done;
  s->lr = lr;
}

__global__ void advance_state_kernel(AdamStepScalars* s) { s->steps_done += 1; }

struct AdamUpdate {  // in: p, g, m, v; out: p, m, v
  float beta1, beta2, eps;
  const AdamStepScalars* s;
  __device__ void operator()(int64_t, const float (&in)[4], float (&out)[3]) const {
    const float step_size = s->step_size, bc2_sqrt = s->bc2_sqrt;
    const float g = in[1];
    const float m = beta1 * in[2] + (1.0f - beta1) * g;
    const float v = beta2 * in[3] + (1.0f - beta2) * g * g;
    out[0] = in[0] - step_size * m / (sqrtf(v) / bc2_sqrt + eps);
    out[1] = m;
    out[2] = v;
  }
};
}  // namespace

void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float beta1, float beta2, float eps,
               AdamStepScalars* state) {
  P2P_LAUNCH(adam_scalars_kernel, 1, 1, state, beta1, beta2);
  pointwise_map(n, MapBuffers<4, 3>{{p, g, m, v}, {p, m, v}}, AdamUpdate{beta1, beta2, eps, state});
}

void adam_set_state(AdamStepScalars* state, int64_t steps_done, float lr, bool keep_steps) {
  P2P_LAUNCH(set_state_kernel, 1, 1, state, steps_done, lr, keep_steps);
}

void adam_advance_state(AdamStepScalars* state) { P2P_LAUNCH(advance_state_kernel, 1, 1, state); }

}  // namespace p2p::cuda
