// Fixtures for the DCGAN and VAE tests: batches of the synthetic single images (data/synthetic.h)
// in [-1, 1], as the image folder loader gives them.
#pragma once
#include <cstring>

#include "data/image.h"
#include "data/synthetic.h"
#include "runtime/tensor.h"

namespace p2p::testing {

// Images first .. first + n - 1 of the synthetic set (seed 11) as [n, 3, size, size].
inline Tensor synthetic_batch(int first, int n, int size) {
  Tensor t({n, 3, size, size});
  for (int i = 0; i < n; ++i) {
    const Tensor one = image_to_tensor(synthetic_single(size, 11, static_cast<uint64_t>(first + i)));
    std::memcpy(t.batch(i).data(), one.data(), sizeof(float) * static_cast<size_t>(one.numel()));
  }
  return t;
}

}  // namespace p2p::testing
