// The bounded pair cache (see pair_cache.h).
#include "data/pair_cache.h"

namespace p2p {

std::shared_ptr<const Halves> PairCache::find(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pairs_.find(path);
  return it == pairs_.end() ? nullptr : it->second;
}

bool PairCache::insert(const std::string& path, std::shared_ptr<const Halves> pair) {
  const size_t n = pair->bytes();
  std::lock_guard<std::mutex> lock(mu_);
  if (n > max_bytes_ - bytes_ || pairs_.count(path)) return false;
  bytes_ += n;
  pairs_.emplace(path, std::move(pair));
  return true;
}

void PairCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  pairs_.clear();
  bytes_ = 0;
}

size_t PairCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t PairCache::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pairs_.size();
}

}  // namespace p2p
