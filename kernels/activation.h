// Pointwise activations, any shape (n elements).
//
//   leaky_relu: y = x if x > 0 else slope * x;      dx = dy * (1 if x > 0 else slope)
//   relu:       leaky_relu with slope 0              (the derivative at 0 is taken as 0, as PyTorch)
//   tanh:       y = tanh(x);                         dx = dy * (1 - y^2)   (from the saved output)
// dx is written. In-place use (y == x, dx == dy) is allowed for the forward and the backward.
#pragma once
#include <cstdint>

#include "runtime/tensor.h"

namespace p2p {

namespace ref {
template <typename T>
void leaky_relu_forward(int64_t n, const T* x, T slope, T* y);
template <typename T>
void leaky_relu_backward(int64_t n, const T* x, const T* dy, T slope, T* dx);
template <typename T>
void tanh_forward(int64_t n, const T* x, T* y);
template <typename T>
void tanh_backward(int64_t n, const T* y, const T* dy, T* dx);
}  // namespace ref

namespace cuda {
void leaky_relu_forward(int64_t n, const float* x, float slope, float* y);
void leaky_relu_backward(int64_t n, const float* x, const float* dy, float slope, float* dx);
void tanh_forward(int64_t n, const float* x, float* y);
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx);
}  // namespace cuda

void leaky_relu_forward(const Tensor& x, float slope, Tensor& y);
void leaky_relu_backward(const Tensor& x, const Tensor& dy, float slope, Tensor& dx);
void relu_forward(const Tensor& x, Tensor& y);
void relu_backward(const Tensor& x, const Tensor& dy, Tensor& dx);
void tanh_forward(const Tensor& x, Tensor& y);
void tanh_backward(const Tensor& y, const Tensor& dy, Tensor& dx);

}  // namespace p2p
