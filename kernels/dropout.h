// dropout (inverted, as torch.nn.Dropout in training mode), any shape.
//
//   keep_i = philox_uniform(seed, offset, i) >= p          (runtime/philox.h; P(keep) = 1 - p)
//   y_i  = keep_i ? x_i / (1 - p) : 0
//   dx_i = keep_i ? dy_i / (1 - p) : 0
// The mask is never stored: the backward regenerates it from (seed, offset), and the CPU and the
// GPU draw the same mask. Each forward call takes a fresh offset from the caller's RandomStreams.
// On CUDA the offset may continue from a count in device memory (DeviceOffset, runtime/random.h):
// offset = (*count) * stride + the host offset, read when the kernel runs.
#pragma once
#include <cstdint>

#include "runtime/random.h"
#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void dropout_forward(int64_t n, const T* x, T p, uint64_t seed, uint64_t offset, T* y);
template <typename T>
void dropout_backward(int64_t n, const T* dy, T p, uint64_t seed, uint64_t offset, T* dx);
}  // namespace ref

namespace cuda {
void dropout_forward(int64_t n, const float* x, float p, uint64_t seed, uint64_t offset, DeviceOffset device, float* y);
void dropout_backward(int64_t n, const float* dy, float p, uint64_t seed, uint64_t offset, DeviceOffset device,
                      float* dx);
}  // namespace cuda

// p in [0, 1). A device part of the offset needs CUDA tensors.
void dropout_forward(const Tensor& x, float p, uint64_t seed, uint64_t offset, Tensor& y, DeviceOffset device = {});
void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t offset, Tensor& dx, DeviceOffset device = {});

}  // namespace p2p
