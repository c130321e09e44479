// Channel concatenation on the GPU: index-mapping copies, one thread per element of y (or of dy),
// moved as float4 when hw % 4 == 0 and the pointers are 16-byte aligned (then every channel run
// starts on a 16-byte boundary too), else as floats.
#include "kernels/concat.h"
#include "runtime/launch.h"

namespace p2p::cuda {

namespace {
// Element j of y (in units of V) belongs to item j / (la + lb); the first la units of each item
// come from a, the next lb from b. kForward copies a, b -> y; otherwise y -> a, b (null skipped).
template <bool kForward, typename V>
__global__ void concat_kernel(int64_t total, int64_t la, int64_t lb, V* a, V* b, V* y) {
  const int64_t stride = (int64_t)gridDim.x * blockDim.x;
  for (int64_t j = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; j < total; j += stride) {
    const int64_t item = j / (la + lb), r = j - item * (la + lb);
    V* side = r < la ? (a ? a + item * la + r : nullptr) : (b ? b + item * lb + (r - la) : nullptr);
    if (kForward)
      y[j] = *side;
    else if (side)
      *side = y[j];
  }
}

template <bool kForward>
void launch(int n, int ca, int cb, int64_t hw, float* a, float* b, float* y) {
  const int64_t total = int64_t(n) * (ca + cb) * hw;
  if (total == 0) return;
  const bool vec =
      hw % 4 == 0 &&
      ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(y)) & 15) == 0;
  if (vec) {
    P2P_LAUNCH((concat_kernel<kForward, float4>), grid_for(total / 4, 256), 256, total / 4, ca * hw / 4, cb * hw / 4,
               reinterpret_cast<float4*>(a), reinterpret_cast<float4*>(b), reinterpret_cast<float4*>(y));
  } else {
    P2P_LAUNCH((concat_kernel<kForward, float>), grid_for(total, 256), 256, total, ca * hw, cb * hw, a, b, y);
  }
}
}  // namespace

void concat_forward(int n, int ca, int cb, int64_t hw, const float* a, const float* b, float* y) {
  launch<true>(n, ca, cb, hw, const_cast<float*>(a), const_cast<float*>(b), y);  // a, b only read
}

void concat_backward(int n, int ca, int cb, int64_t hw, const float* dy, float* da, float* db) {
  launch<false>(n, ca, cb, hw, da, db, const_cast<float*>(dy));  // dy only read
}

}  // namespace p2p::cuda
