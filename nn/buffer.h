// Output and gradient buffers owned by layers and models: allocated on first use and reused while
// the shape and the device stay the same, so a training loop with fixed shapes allocates only once.
#pragma once
#include "runtime/tensor.h"

namespace p2p {

// Makes t a [shape] tensor on dev; its contents are unspecified after a reallocation.
inline void ensure_buffer(Tensor& t, const Shape& shape, Device dev) {
  if (!t.defined() || t.shape() != shape || t.device() != dev) t = Tensor(shape, dev);
}

}  // namespace p2p
