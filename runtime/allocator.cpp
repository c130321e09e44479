#include "runtime/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "runtime/check.h"
#ifdef P2P_WITH_CUDA
#include "runtime/cuda_util.h"
#endif

namespace p2p {
namespace {

// Sizes are rounded up to 512 bytes so that near-identical requests share a free list, and every
// block is aligned for float4 loads.
constexpr size_t kRound = 512;
size_t rounded(size_t bytes) { return (bytes + kRound - 1) / kRound * kRound; }

struct Cache {
  std::mutex mu;
  std::map<size_t, std::vector<void*>> free_lists;    // rounded size -> free blocks
  std::map<size_t, std::vector<void*>> pinned_lists;  // the same for page-locked host blocks
  AllocatorStats stats;
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during static destruction
  return *c;
}

#ifdef P2P_WITH_CUDA
// Frees every cached block once the stream has finished with them (a block freed by a tensor may
// still be read or written by a queued kernel). The caller holds c.mu.
void release_cached_locked(Cache& c) {
  CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  for (auto& [size, blocks] : c.free_lists)
    for (void* b : blocks) CUDA_CHECK(cudaFree(b));
  c.free_lists.clear();
  for (auto& [size, blocks] : c.pinned_lists)
    for (void* b : blocks) CUDA_CHECK(cudaFreeHost(b));
  c.pinned_lists.clear();
  c.stats.bytes_cached = 0;
}
#endif

}  // namespace

// The sanitizer build (P2P_EXACT_GPU_ALLOC) gives every GPU tensor its own allocation of its exact
// size, freed at once, so that AddressSanitizer (in the CUDA emulation) sees a read one element past
// a tensor or after its release.
#ifdef P2P_EXACT_GPU_ALLOC
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif
bool allocator_caches() { return kCaching; }

namespace {
// The bytes a GPU block of a request takes: rounded for the free lists, exact without them.
size_t gpu_block_bytes(size_t bytes) {
  const size_t b = bytes == 0 ? 1 : bytes;
  return kCaching ? rounded(b) : b;
}
}  // namespace

void* alloc_bytes(Device dev, size_t bytes) {
  if (dev == Device::CPU) {
    void* p = std::aligned_alloc(64, rounded(bytes == 0 ? 1 : bytes));
    P2P_CHECK(p, "out of host memory allocating " << bytes << " bytes");
    return p;
  }
#ifdef P2P_WITH_CUDA
  const size_t n = gpu_block_bytes(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.free_lists.find(n);  // the lists stay empty without caching
  if (it != c.free_lists.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    c.stats.cache_hits++;
    c.stats.bytes_cached -= n;
    c.stats.bytes_in_use += n;
    return p;
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, n);
  if (err == cudaErrorMemoryAllocation) {
    // Give the cached blocks back and try once more before reporting.
    cudaGetLastError();
    release_cached_locked(c);
    err = cudaMalloc(&p, n);
  }
  P2P_CHECK(err == cudaSuccess, "cudaMalloc of " << bytes << " bytes failed: " << cudaGetErrorString(err) << " ("
                                                 << (c.stats.bytes_in_use >> 20) << " MiB in use)");
  c.stats.cuda_mallocs++;
  c.stats.bytes_in_use += n;
  return p;
#else
  P2P_FAIL("this build has no CUDA support: cannot allocate GPU memory");
#endif
}

void free_bytes(Device dev, void* ptr, size_t bytes) {
  if (!ptr) return;
  if (dev == Device::CPU) {
    std::free(ptr);
    return;
  }
#ifdef P2P_WITH_CUDA
  const size_t n = gpu_block_bytes(bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.gpu_frees++;
  if (!kCaching) {
    CUDA_CHECK(cudaFree(ptr));
    c.stats.bytes_in_use -= n;
    return;
  }
  c.free_lists[n].push_back(ptr);
  c.stats.bytes_in_use -= n;
  c.stats.bytes_cached += n;
#else
  (void)bytes;
#endif
}

bool pinning_available() { return built_with_cuda() && cuda_available(); }

void* alloc_pinned(size_t bytes) {
  P2P_CHECK(pinning_available(), "pinned host memory needs CUDA and a GPU (check pinning_available() first)");
#ifdef P2P_WITH_CUDA
  const size_t n = rounded(bytes == 0 ? 1 : bytes);
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  auto it = c.pinned_lists.find(n);
  if (it != c.pinned_lists.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    c.stats.pinned_hits++;
    return p;
  }
  void* p = nullptr;
  const cudaError_t err = cudaHostAlloc(&p, n, cudaHostAllocDefault);
  P2P_CHECK(err == cudaSuccess,
            "cudaHostAlloc of " << bytes << " bytes of pinned host memory failed: " << cudaGetErrorString(err));
  c.stats.host_allocs++;
  return p;
#else
  return nullptr;
#endif
}

void free_pinned(void* ptr, size_t bytes) {
  if (!ptr) return;
#ifdef P2P_WITH_CUDA
  CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));  // no queued copy still reads it (see allocator.h)
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  c.pinned_lists[rounded(bytes == 0 ? 1 : bytes)].push_back(ptr);
#else
  (void)bytes;
#endif
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void allocator_release_cached() {
#ifdef P2P_WITH_CUDA
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  release_cached_locked(c);
#endif
}

}  // namespace p2p
