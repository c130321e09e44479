// The index range one convolution tap touches, shared by the conv2d and conv_transpose2d CPU
// references (internal to kernels/). Their loops run over one weight tap at a time, then over the
// indices i whose partner index i * stride + offset (offset = tap - pad) is in range, so the
// innermost loop holds no bounds check:
//   conv2d:           i = an output row p (or column q), partner = the input row it reads;
//   conv_transpose2d: i = an input row (or column), partner = the output row it scatters into.
#pragma once
#include <algorithm>

namespace p2p::ref {

// [lo, hi): the i in [0, n) with 0 <= i * stride + offset < limit.
struct TapRange {
  int lo, hi;
};
inline TapRange tap_range(int n, int limit, int offset, int stride) {
  const int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int hi = limit - offset <= 0 ? 0 : std::min(n, (limit - offset - 1) / stride + 1);
  return {lo, std::max(lo, hi)};
}

}  // namespace p2p::ref
