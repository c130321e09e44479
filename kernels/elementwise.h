// Small elementwise helpers the layers need to route gradients, any shape (n elements).
//
//   axpy:  y += alpha * x       (sums gradients that meet, e.g. at a U-Net skip connection)
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void axpy(int64_t n, T alpha, const T* x, T* y);
}  // namespace ref

namespace cuda {
void axpy(int64_t n, float alpha, const float* x, float* y);
}  // namespace cuda

void axpy(float alpha, const Tensor& x, Tensor& y);

}  // namespace p2p
