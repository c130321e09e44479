// What the Loader (data/loader.h) reads: a numbered list of files whose samples are decoded (and
// cached) once as Halves, then augmented and written into a batch slot. AlignedDataset (AB pairs:
// A and B) and ImageFolder (single images: A only) are the two sources. Every method is
// thread-safe, and a sample is a pure function of (index, epoch).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/pair_cache.h"
#include "runtime/tensor.h"

namespace p2p {

// The crop offsets and flip a sample received (in the resized image's pixels).
struct Augment {
  int x = 0, y = 0;
  bool flip = false;
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual const std::vector<std::string>& files() const = 0;
  size_t size() const { return files().size(); }
  virtual uint64_t seed() const = 0;  // the shuffle's (epoch_permutation)
  // false: samples have an A only; write_sample ignores b, and the Loader's Batch::B stays undefined.
  virtual bool paired() const = 0;
  // File `index` after the deterministic preprocessing (from the cache, or decoded and offered to it).
  virtual std::shared_ptr<const Halves> halves(size_t index) const = 0;
  // The [1, 3, H, W] shape its samples take, and the random part of (index, epoch).
  virtual Shape sample_shape(const Halves& h) const = 0;
  virtual Augment augment(const Halves& h, size_t index, uint64_t epoch) const = 0;
  // The sample in [-1, 1], 3 H W floats planar (CHW) into a (and b when paired).
  virtual void write_sample(const Halves& h, const Augment& aug, float* a, float* b) const = 0;
};

// The w x h window at (x0, y0) of img, mirrored left to right when flip, as planar floats in [-1, 1]
// with image_to_tensor's bits: one pass, no copies.
void write_window(const Image& img, int x0, int y0, int w, int h, bool flip, float* out);

}  // namespace p2p
