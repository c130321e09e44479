// GPU helpers behind Tensor (CUDA builds only).
#pragma once
#include <cstdint>

namespace p2p::cuda {
void fill(float* p, int64_t n, float value);
}
