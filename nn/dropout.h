// Dropout(p) layer over kernels/dropout.h (inverted dropout, as torch.nn.Dropout). In training each
// forward takes a fresh stream offset from the caller's RandomStreams and remembers (seed, offset)
// so the backward regenerates the same mask (with the streams' device part of the offset, if any,
// which the kernels read when they run: last_offset() is then the host part); nothing else is stored.
// In eval it is the identity
// (forward returns x itself, backward copies dy).
#pragma once
#include <cstdint>

#include "runtime/random.h"
#include "runtime/tensor.h"

namespace p2p {

class Dropout {
 public:
  explicit Dropout(float p);
  const Tensor& forward(const Tensor& x, bool training, RandomStreams& rng);
  void backward(const Tensor& dy, Tensor* dx);
  float p() const { return p_; }
  uint64_t last_offset() const { return offset_; }

 private:
  float p_;
  bool training_ = false;
  uint64_t seed_ = 0, offset_ = 0;
  DeviceOffset device_offset_;
  Shape x_shape_;
  Device device_ = Device::CPU;
  Tensor y_;
};

}  // namespace p2p
