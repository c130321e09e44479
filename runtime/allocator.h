// Memory for tensors. CPU memory is 64-byte aligned. GPU memory comes from a caching allocator:
// freed blocks are kept in per-size free lists and handed out again, so a training step whose
// tensors have the same sizes every iteration calls cudaMalloc only during the first one.
#pragma once
#include <cstddef>

#include "runtime/device.h"

namespace p2p {

void* alloc_bytes(Device dev, size_t bytes);
void free_bytes(Device dev, void* ptr, size_t bytes);

struct AllocatorStats {
  size_t cuda_mallocs = 0;  // calls to cudaMalloc so far
  size_t cache_hits = 0;    // allocations served from the free lists
  size_t bytes_in_use = 0;  // GPU bytes handed out and not yet freed
  size_t bytes_cached = 0;  // GPU bytes held in the free lists
};
AllocatorStats allocator_stats();
// False in the sanitizer build, where every GPU allocation is a cudaMalloc of its exact size.
bool allocator_caches();
// Returns the cached GPU blocks to the driver (cudaFree).
void allocator_release_cached();

}  // namespace p2p
