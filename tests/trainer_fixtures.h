// Fixtures for the trainer tests on the CPU and on the GPU: a tiny Pix2Pix (ngf 8, ndf 8, 6 U-Net
// levels, for 64x64 images) and batches of 64x64 synthetic pairs on the host.
#pragma once
#include <cstdint>

#include "data/image.h"
#include "data/synthetic.h"
#include "models/pix2pix.h"

namespace p2p::testing {

inline Pix2PixOptions tiny_options(uint64_t seed) {
  Pix2PixOptions o;
  o.g.num_downs = 6;
  o.g.ngf = 8;
  o.d.ndf = 8;
  o.seed = seed;
  return o;
}

// A batch of n synthetic pairs (labels -> photo), 64x64: pairs first .. first + n - 1 of the
// synthetic set drawn with data_seed.
struct Pair {
  Tensor A, B;
};
inline Pair synthetic_batch(uint64_t first, int n, uint64_t data_seed) {
  Pair p{Tensor({n, 3, 64, 64}), Tensor({n, 3, 64, 64})};
  for (int i = 0; i < n; ++i) {
    SyntheticPair s = make_synthetic_pair(64, data_seed, first + i);
    p.A.batch(i).copy_from(image_to_tensor(s.labels));
    p.B.batch(i).copy_from(image_to_tensor(s.photo));
  }
  return p;
}

}  // namespace p2p::testing
