// A bounded, thread-safe store of decoded (and, where deterministic, resized) AB pairs, so that after
// the first visit a training step only crops, flips and converts to float.
//
// Keys are file paths (so dropping a bad file from the dataset leaves the others' entries valid). Entries are immutable
// once stored and handed out as shared pointers, so a reader never sees a half-written pair and the cache never changes
// a pixel: a sample gives the same bits whether its pair came from here or from the file. The bound counts the pixel
// bytes of both halves; once an insert would pass it the pair is not stored and is decoded again on its next visit.
// Which pairs get stored first depends on thread timing; what a sample holds does not.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "data/image.h"

namespace p2p {

// The two halves of one file after the deterministic part of the preprocessing (split, resize),
// before the random crop and flip; a and b as in the file (--direction is applied later).
struct Halves {
  Image a, b;
  size_t bytes() const { return a.px.size() + b.px.size(); }
};

class PairCache {
 public:
  explicit PairCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The stored pair, or null.
  std::shared_ptr<const Halves> find(const std::string& path) const;
  // Stores the pair when it fits under the bound (and path is not stored yet); false otherwise.
  bool insert(const std::string& path, std::shared_ptr<const Halves> pair);
  void clear();

  size_t max_bytes() const { return max_bytes_; }
  size_t bytes() const;
  size_t count() const;

 private:
  const size_t max_bytes_;
  mutable std::mutex mu_;
  size_t bytes_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const Halves>> pairs_;
};

}  // namespace p2p
