// What the Loader batches: numbered pairs (A, B) whose pixels are a pure function of (index, epoch).
// The aligned dataset (one AB file per pair) and the unaligned one (A and B from two domains) are
// both pair sources, so one loader, with its threads, order and exact resume, serves every model.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "runtime/tensor.h"

namespace p2p {

class PairSource {
 public:
  virtual ~PairSource() = default;
  virtual size_t size() const = 0;
  // The seed of the epoch order (data/loader.h).
  virtual uint64_t seed() const = 0;
  // Pair `index` of `epoch`, decoded: the [1, 3, H, W] shape of A and B, a path naming it in errors,
  // and the writer of A and B (3 * H * W planar floats each). Thread-safe.
  struct Prepared {
    Shape shape;
    std::string path;
    std::function<void(float* a, float* b)> write;
  };
  virtual Prepared prepare(size_t index, uint64_t epoch) const = 0;
};

}  // namespace p2p
