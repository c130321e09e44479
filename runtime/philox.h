// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
// counter-based generator. The output is a pure function of (key, counter), so the CPU and a CUDA
// kernel produce the same numbers for the same seed, stream offset and element index, with no
// state to carry between threads. Used for dropout masks and for weight initialisation.
//
// Element i of the stream (seed, offset) is word (i mod 4) of philox(key = seed,
// counter = (i / 4, offset)); the offset names one independent stream (one dropout layer, one
// step), the index picks the element.
#pragma once
#include <cstdint>

#include "runtime/host_device.h"

namespace p2p {

struct Philox4 {
  uint32_t v[4];
};

P2P_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

P2P_HD Philox4 philox4x32_10(uint64_t counter_lo, uint64_t counter_hi, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// The i-th 32-bit word of stream (seed, offset).
P2P_HD uint32_t philox_bits(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox4x32_10(i >> 2, offset, seed).v[i & 3];
}

// A 32-bit word to a uniform in [0, 1): its top 24 bits times 2^-24, exactly representable, so
// identical on every backend. Kernels that take four words from one philox4x32_10 call use it directly.
P2P_HD float philox_unit(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

// Element i of stream (seed, offset) as a uniform in [0, 1).
P2P_HD float philox_uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox_unit(philox_bits(seed, offset, i));
}

}  // namespace p2p
