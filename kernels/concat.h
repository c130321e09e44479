// Channel concatenation of two NCHW tensors and its adjoint, the split.
//
//   y[n, 0:CA]       = a[n]      a: [N, CA, H, W]
//   y[n, CA:CA+CB]   = b[n]      b: [N, CB, H, W]     y: [N, CA+CB, H, W]
// Backward: da = dy[:, 0:CA], db = dy[:, CA:CA+CB] (written; either may be null when not wanted).
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void concat_forward(int n, int ca, int cb, int64_t hw, const T* a, const T* b, T* y);
template <typename T>
void concat_backward(int n, int ca, int cb, int64_t hw, const T* dy, T* da, T* db);
}  // namespace ref

namespace cuda {
void concat_forward(int n, int ca, int cb, int64_t hw, const float* a, const float* b, float* y);
void concat_backward(int n, int ca, int cb, int64_t hw, const float* dy, float* da, float* db);
}  // namespace cuda

void concat_forward(const Tensor& a, const Tensor& b, Tensor& y);
void concat_backward(const Tensor& dy, Tensor* da, Tensor* db);

}  // namespace p2p
