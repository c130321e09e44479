// Random tensors from the Philox streams (runtime/philox.h). Values are drawn on the host, so a
// tensor filled on the GPU holds exactly the numbers the CPU would draw: initialisation agrees
// across backends bit for bit.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

// A seed and the next unused stream offset: each draw takes a fresh offset.
class RandomStreams {
 public:
  explicit RandomStreams(uint64_t seed, uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  uint64_t take() { return offset_++; }

 private:
  uint64_t seed_;
  uint64_t offset_;
};

// Uniform in [lo, hi).
void fill_uniform(Tensor& t, float lo, float hi, uint64_t seed, uint64_t offset);
// Normal(mean, std) by Box-Muller on pairs of uniforms, computed in double.
void fill_normal(Tensor& t, float mean, float std, uint64_t seed, uint64_t offset);

}  // namespace p2p
