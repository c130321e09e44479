// Dropout on the GPU. The mask is regenerated in the kernel from (seed, offset, i) with the same
// Philox function as the CPU reference (runtime/philox.h), so the masks agree bit for bit.
//
// One thread per group of four elements 4g .. 4g+3: one Philox call yields the four 32-bit words of
// exactly that group (word i mod 4 of counter i / 4), and the group moves through one float4 when the
// pointers are 16-byte aligned. The forward and the backward are the same map, out = mask * scale * in.
// A device part of the offset (DeviceOffset) is read by every thread when the kernel runs.
#include "kernels/dropout.h"
#include "runtime/launch.h"
#include "runtime/philox.h"

namespace p2p::cuda {

namespace {
// Word i mod 4 of counter i / 4 is philox_bits(seed, offset, i): keep_i = philox_uniform(seed, offset, i) >= p.
__device__ __forceinline__ bool keep(uint32_t bits, float p) { return philox_unit(bits) >= p; }

__global__ void dropout_kernel(int64_t n, const float* in, float p, float scale, uint64_t seed, uint64_t host_offset,
                               DeviceOffset device, bool vec, float* out) {
  const uint64_t offset = host_offset + (device.count ? static_cast<uint64_t>(*device.count) * device.stride : 0);
  const int64_t groups = (n + 3) / 4;
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t g = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; g < groups; g += stride) {
    const Philox4 r = philox4x32_10(static_cast<uint64_t>(g), offset, seed);
    if (vec && 4 * g + 3 < n) {
      float4 v = reinterpret_cast<const float4*>(in)[g];
      v.x = keep(r.v[0], p) ? v.x * scale : 0.0f;
      v.y = keep(r.v[1], p) ? v.y * scale : 0.0f;
      v.z = keep(r.v[2], p) ? v.z * scale : 0.0f;
      v.w = keep(r.v[3], p) ? v.w * scale : 0.0f;
      reinterpret_cast<float4*>(out)[g] = v;
    } else {
      for (int k = 0; k < 4 && 4 * g + k < n; ++k) {
        const int64_t i = 4 * g + k;
        out[i] = keep(r.v[k], p) ? in[i] * scale : 0.0f;
      }
    }
  }
}

void dropout_apply(int64_t n, const float* in, float p, uint64_t seed, uint64_t offset, DeviceOffset device,
                   float* out) {
  if (n == 0) return;
  const float scale = 1.0f / (1.0f - p);  // rounded as the float reference rounds it
  const bool vec = ((reinterpret_cast<uintptr_t>(in) | reinterpret_cast<uintptr_t>(out)) & 15) == 0;
  P2P_LAUNCH(dropout_kernel, grid_for((n + 3) / 4, 256), 256, n, in, p, scale, seed, offset, device, vec, out);
}
}  // namespace

void dropout_forward(int64_t n, const float* x, float p, uint64_t seed, uint64_t offset, DeviceOffset device,
                     float* y) {
  dropout_apply(n, x, p, seed, offset, device, y);
}
void dropout_backward(int64_t n, const float* dy, float p, uint64_t seed, uint64_t offset, DeviceOffset device,
                      float* dx) {
  dropout_apply(n, dy, p, seed, offset, device, dx);
}

}  // namespace p2p::cuda
