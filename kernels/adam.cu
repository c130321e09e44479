// Adam on the GPU: one fused pointwise map over the flat buffer (kernels/pointwise_map.cuh), reading
// p, g, m, v and writing p, m, v in place, float4 at a time when aligned. The bias corrections are
// computed on the host in double, as in the reference, and passed as floats.
#include "kernels/adam.h"
#include "kernels/pointwise_map.cuh"

namespace p2p::cuda {

namespace {
struct AdamUpdate {  // in: p, g, m, v; out: p, m, v
  float beta1, beta2, eps, step_size, bc2_sqrt;
  __device__ void operator()(int64_t, const float (&in)[4], float (&out)[3]) const {
    const float g = in[1];
    const float m = beta1 * in[2] + (1.0f - beta1) * g;
    const float v = beta2 * in[3] + (1.0f - beta2) * g * g;
    out[0] = in[0] - step_size * m / (sqrtf(v) / bc2_sqrt + eps);
    out[1] = m;
    out[2] = v;
  }
};
}  // namespace

void adam_step(int64_t n, float* p, const float* g, float* m, float* v, float lr, float beta1, float beta2, float eps,
               int64_t t) {
  const AdamScalars k = adam_scalars(lr, beta1, beta2, t);
  const float step_size = static_cast<float>(k.step_size), bc2_sqrt = static_cast<float>(k.bc2_sqrt);
  pointwise_map(n, MapBuffers<4, 3>{{p, g, m, v}, {p, m, v}}, AdamUpdate{beta1, beta2, eps, step_size, bc2_sqrt});
}

}  // namespace p2p::cuda
