// Memory for tensors. CPU memory is 64-byte aligned. GPU memory comes from a caching allocator:
// freed blocks are kept in per-size free lists and handed out again, so a training step whose
// tensors have the same sizes every iteration calls cudaMalloc only during the first one. Its count of
// freed GPU blocks tells a CUDA graph (runtime/step_graph.h) that a buffer it holds may be gone.
#pragma once
#include <cstddef>

#include "runtime/device.h"

namespace p2p {

void* alloc_bytes(Device dev, size_t bytes);
void free_bytes(Device dev, void* ptr, size_t bytes);

// Page-locked (pinned) host memory, the staging of the batches that go to the GPU: a copy from it
// runs at the bus's full speed, and cudaMemcpyAsync returns at once instead of first copying the
// data through a driver buffer. cudaHostAlloc is slow (it maps the pages for the GPU), so freed
// blocks are cached by size like GPU ones. A freed block may still be the source of a queued copy:
// the stream is synchronized before the block is cached, so it can never be refilled under that
// copy. True from pinning_available() only: this build has CUDA and a GPU (or the emulation).
bool pinning_available();
void* alloc_pinned(size_t bytes);
void free_pinned(void* ptr, size_t bytes);

struct AllocatorStats {
  size_t cuda_mallocs = 0;  // calls to cudaMalloc so far
  size_t cache_hits = 0;    // allocations served from the free lists
  size_t gpu_frees = 0;     // GPU blocks freed (into the free lists, or cudaFree): a CUDA graph's staleness
  size_t bytes_in_use = 0;  // GPU bytes handed out and not yet freed
  size_t bytes_cached = 0;  // GPU bytes held in the free lists
  size_t host_allocs = 0;   // calls to cudaHostAlloc so far
  size_t pinned_hits = 0;   // pinned allocations served from their free lists
};
AllocatorStats allocator_stats();
// False in the sanitizer build, where every GPU allocation is a cudaMalloc of its exact size.
bool allocator_caches();
// Returns the cached GPU blocks to the driver (cudaFree), and the cached pinned ones (cudaFreeHost).
void allocator_release_cached();

}  // namespace p2p
