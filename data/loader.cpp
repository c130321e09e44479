// The prefetching batch loader (see loader.h for the order and threading contract).
#include "data/loader.h"

#include <algorithm>
#include <numeric>

#include "runtime/check.h"
#include "runtime/philox.h"

namespace p2p {
namespace {
constexpr uint64_t kShuffleKey = 0x73687566666c6531ull;  // "shuffle1"
}  // namespace

std::vector<size_t> epoch_permutation(size_t n, uint64_t seed, uint64_t epoch) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  for (size_t i = n; i-- > 1;) {
    Philox4 r = philox4x32_10(i, epoch, seed ^ kShuffleKey);
    uint64_t bits = (static_cast<uint64_t>(r.v[1]) << 32) | r.v[0];
    std::swap(p[i], p[bits % (i + 1)]);
  }
  return p;
}

Loader::Loader(const SampleSource& dataset, int batch_size, bool shuffle, int threads, int prefetch, bool pinned)
    : ds_(dataset),
      batch_size_(batch_size),
      threads_(threads),
      prefetch_(prefetch),
      shuffle_(shuffle),
      pinned_(pinned) {
  P2P_CHECK(batch_size >= 1, "--batch-size " << batch_size << " must be >= 1");
  P2P_CHECK(threads >= 0, "loader threads " << threads << " must be >= 0");
  P2P_CHECK(prefetch >= 1, "loader prefetch " << prefetch << " must be >= 1");
}

Loader::~Loader() { stop_workers(); }

size_t Loader::batches_per_epoch() const { return (ds_.size() + batch_size_ - 1) / batch_size_; }

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void Loader::start_epoch(uint64_t epoch, size_t first_batch) {
  stop_workers();
  size_t batches = batches_per_epoch();
  P2P_CHECK(first_batch <= batches,
            "start_epoch: first batch " << first_batch << " is past the epoch's " << batches << " batches");
  epoch_ = epoch;
  if (shuffle_) {
    order_ = epoch_permutation(ds_.size(), ds_.seed(), epoch);
  } else {
    order_.resize(ds_.size());
    std::iota(order_.begin(), order_.end(), size_t{0});
  }
  stop_ = false;
  ready_.clear();
  next_claim_ = next_out_ = first_batch;
  end_ = batches;
  started_ = true;
  try {
    for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { worker(); });
  } catch (...) {
    stop_workers();
    throw;
  }
}

Batch Loader::make_batch(size_t k) const {
  size_t lo = k * batch_size_, hi = std::min(lo + batch_size_, order_.size());
  Batch b;
  Shape shape;  // of the batch's first sample
  for (size_t i = lo; i < hi; ++i) {
    const size_t index = order_[i];
    const SampleSource::Prepared p = ds_.prepare(index, epoch_);
    const std::string& path = p.path;
    if (i == lo) {
      shape = p.shape;
      const Shape batch_shape{static_cast<int64_t>(hi - lo), shape[1], shape[2], shape[3]};
      b.A = pinned_ ? Tensor::pinned(batch_shape) : Tensor(batch_shape);
      const Shape batch_b{batch_shape[0], p.shape_b[1], shape[2], shape[3]};  // B's channels may differ
      if (ds_.paired()) b.B = pinned_ ? Tensor::pinned(batch_b) : Tensor(batch_b);
    }
    const Shape& s = p.shape;
    P2P_CHECK(s == shape, "cannot batch '" << path << "' (A " << shape_str(s) << ") with '" << b.paths[0] << "' (A "
                                           << shape_str(shape) << "): samples differ in size; use a --preprocess "
                                           << "that resizes or crops to one size, or --batch-size 1");
    // Straight into the batch: the sample's crop, flip and conversion write its slot, nothing else.
    p.write(b.A.batch(i - lo).data(), ds_.paired() ? b.B.batch(i - lo).data() : nullptr);
    b.paths.push_back(path);
  }
  return b;
}

void Loader::worker() {
  for (;;) {
    size_t k;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || next_claim_ >= end_ || next_claim_ < next_out_ + prefetch_; });
      if (stop_ || next_claim_ >= end_) return;
      k = next_claim_++;
    }
    Slot slot;
    try {
      slot.batch = make_batch(k);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_[k] = std::move(slot);
    }
    ready_cv_.notify_all();
  }
}

bool Loader::next(Batch& b) {
  P2P_CHECK(started_, "Loader::next called before start_epoch");
  if (next_out_ >= end_) return false;
  if (threads_ == 0) {
    size_t k = next_out_++;
    b = make_batch(k);
    return true;
  }
  Slot slot;
  {
    std::unique_lock<std::mutex> lock(mu_);
    ready_cv_.wait(lock, [&] { return ready_.count(next_out_) > 0; });
    auto it = ready_.find(next_out_);
    slot = std::move(it->second);
    ready_.erase(it);
    ++next_out_;
  }
  work_cv_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  b = std::move(slot.batch);
  return true;
}

}  // namespace p2p
