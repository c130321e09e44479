// GPU helpers behind Tensor and the kernel families (CUDA builds only).
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p::cuda {
void fill(float* p, int64_t n, float value);

// A kernel family's scratch: its own static tensor ws, grown to the largest request and kept, so
// that a training loop allocates it during its first step only, and a CUDA graph of a step holds a
// block that is handed to nobody else (scratch freed after each call would go back to the caching
// allocator's free lists). Sharing it between calls is safe: every kernel runs in order on the one
// stream. Returns ws's data, at least `floats` of them.
inline float* grown_workspace(Tensor& ws, int64_t floats) {
  if (!ws.defined() || ws.numel() < floats) ws = Tensor({floats}, Device::CUDA);
  return ws.data();
}
}  // namespace p2p::cuda
