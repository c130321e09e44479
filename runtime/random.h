// Random tensors from the Philox streams (runtime/philox.h). Values are drawn on the host, so a
// tensor filled on the GPU holds exactly the numbers the CPU would draw: initialisation agrees
// across backends bit for bit.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

// A part of the stream offsets that lives in device memory (CUDA kernels only): the offset a kernel
// draws from is (*count) * stride + the host part, with *count read when the kernel runs. A training
// step captured into a CUDA graph passes its step count so: each replay draws that step's streams.
struct DeviceOffset {
  const int64_t* count = nullptr;  // none: the offset is the host part alone
  uint64_t stride = 0;
};

// A seed and the next unused stream offset: each draw takes a fresh offset (the host part of it,
// when a device part is given).
class RandomStreams {
 public:
  explicit RandomStreams(uint64_t seed, uint64_t offset = 0, DeviceOffset device = {})
      : seed_(seed), offset_(offset), device_(device) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  const DeviceOffset& device_offset() const { return device_; }
  uint64_t take() { return offset_++; }

 private:
  uint64_t seed_;
  uint64_t offset_;
  DeviceOffset device_;
};

// Uniform in [lo, hi).
void fill_uniform(Tensor& t, float lo, float hi, uint64_t seed, uint64_t offset);
// Normal(mean, std) by Box-Muller on pairs of uniforms, computed in double.
void fill_normal(Tensor& t, float mean, float std, uint64_t seed, uint64_t offset);

}  // namespace p2p
