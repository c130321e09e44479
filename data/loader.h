// Batches from a SampleSource (an aligned, unaligned or image-folder dataset), decoded ahead of time on
// background threads.
//
// Order: epoch e visits the samples in epoch_permutation(n, seed, e) when shuffling (Fisher-Yates
// driven by Philox with key source.seed() ^ kShuffleKey and counter (i, e)), else 0..n-1; batch k holds
// positions [k * batch_size, (k + 1) * batch_size) of that order; the last batch may be smaller
// (PyTorch's DataLoader default, drop_last = false). Each sample is dataset.prepare(index, epoch), a pure
// function, so the batches never depend on thread timing or thread count, and start_epoch(e, k)
// yields exactly the tail of a full epoch e from batch k on (exact --resume).
//
// Threads: `threads` workers claim batch numbers in order and decode whole batches; at most
// `prefetch` batches are claimed ahead of the consumer; next() hands them out in order. An exception
// in a worker is stored with its batch and rethrown by the next() that reaches that batch (the
// following next() goes on with the batch after it). threads = 0 decodes inside next().
// start_epoch() and the destructor stop and join the workers, also mid-epoch. One consumer thread
// calls start_epoch() and next().
//
// Refinements of notes/nn_api.md: the seed comes from the dataset's options; epoch_permutation() and
// order() are exposed for tests and for the trainer's logs.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/sample_source.h"
#include "runtime/tensor.h"

namespace p2p {

struct Batch {
  Tensor A, B;  // [N, 3, H, W] on the CPU; B undefined for a source of single images
  std::vector<std::string> paths;
};

std::vector<size_t> epoch_permutation(size_t n, uint64_t seed, uint64_t epoch);

class Loader {
 public:
  // The dataset must outlive the loader. pinned: batches in page-locked memory (Tensor::pinned), so
  // that a trainer on CUDA copies them to the GPU asynchronously at full speed; the blocks are
  // recycled by the allocator, so no batch after the first few calls cudaHostAlloc.
  Loader(const SampleSource& dataset, int batch_size, bool shuffle, int threads, int prefetch, bool pinned = false);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void start_epoch(uint64_t epoch, size_t first_batch = 0);
  // The next batch of the epoch; false at its end.
  bool next(Batch& b);
  size_t batches_per_epoch() const;
  const std::vector<size_t>& order() const { return order_; }  // sample indices of this epoch

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  Batch make_batch(size_t k) const;
  void worker();
  void stop_workers();

  const SampleSource& ds_;
  int batch_size_, threads_, prefetch_;
  bool shuffle_, pinned_;
  bool started_ = false;
  uint64_t epoch_ = 0;
  std::vector<size_t> order_;

  // Shared with the workers, guarded by mu_.
  std::mutex mu_;
  std::condition_variable work_cv_, ready_cv_;
  bool stop_ = false;
  size_t next_claim_ = 0, next_out_ = 0, end_ = 0;
  std::map<size_t, Slot> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace p2p
