// Pointwise activations: CPU references and the tensor-level entry points (math in activation.h).
//   leaky_relu: y = x > 0 ? x : slope x        dx = dy * (x > 0 ? 1 : slope)   (relu: slope 0)
//   tanh:       y = tanh(x)                    dx = dy * (1 - y^2)
// Activation gradients are written (=), never accumulated. x may alias y and dy may alias dx.
#include "kernels/activation.h"

#include <cmath>

#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
template <typename T>
void leaky_relu_forward(int64_t n, const T* x, T slope, T* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}
template <typename T>
void leaky_relu_backward(int64_t n, const T* x, const T* dy, T slope, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > T(0) ? dy[i] : slope * dy[i];
}
template <typename T>
void tanh_forward(int64_t n, const T* x, T* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
template <typename T>
void tanh_backward(int64_t n, const T* y, const T* dy, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (T(1) - y[i] * y[i]);
}

#define P2P_INSTANTIATE(T)                                                  \
  template void leaky_relu_forward<T>(int64_t, const T*, T, T*);            \
  template void leaky_relu_backward<T>(int64_t, const T*, const T*, T, T*); \
  template void tanh_forward<T>(int64_t, const T*, T*);                     \
  template void tanh_backward<T>(int64_t, const T*, const T*, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE
}  // namespace ref

namespace {
// The output has the input's shape and everything lives on one device; returns that device.
Device check_pointwise(const char* op, const Tensor& in, const char* in_name, const Tensor* in2, const char* in2_name,
                       const Tensor& out, const char* out_name) {
  Device dev = common_device({&in, in2, &out}, op);
  const std::string what = std::string(op) + ": ";
  if (in2) check_shape(*in2, in.shape(), (what + in2_name + " (must match " + in_name + ")").c_str());
  check_shape(out, in.shape(), (what + out_name + " (must match " + in_name + ")").c_str());
  return dev;
}
}  // namespace

void leaky_relu_forward(const Tensor& x, float slope, Tensor& y) {
  Device dev = check_pointwise("leaky_relu_forward", x, "x", nullptr, nullptr, y, "y");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::leaky_relu_forward(x.numel(), x.data(), slope, y.data()));
  else
    ref::leaky_relu_forward(x.numel(), x.data(), slope, y.data());
}

void leaky_relu_backward(const Tensor& x, const Tensor& dy, float slope, Tensor& dx) {
  Device dev = check_pointwise("leaky_relu_backward", x, "x", &dy, "dy", dx, "dx");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::leaky_relu_backward(x.numel(), x.data(), dy.data(), slope, dx.data()));
  else
    ref::leaky_relu_backward(x.numel(), x.data(), dy.data(), slope, dx.data());
}

void relu_forward(const Tensor& x, Tensor& y) { leaky_relu_forward(x, 0.0f, y); }
void relu_backward(const Tensor& x, const Tensor& dy, Tensor& dx) { leaky_relu_backward(x, dy, 0.0f, dx); }

void tanh_forward(const Tensor& x, Tensor& y) {
  Device dev = check_pointwise("tanh_forward", x, "x", nullptr, nullptr, y, "y");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::tanh_forward(x.numel(), x.data(), y.data()));
  else
    ref::tanh_forward(x.numel(), x.data(), y.data());
}

void tanh_backward(const Tensor& y, const Tensor& dy, Tensor& dx) {
  Device dev = check_pointwise("tanh_backward", y, "y", &dy, "dy", dx, "dx");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::tanh_backward(y.numel(), y.data(), dy.data(), dx.data()));
  else
    ref::tanh_backward(y.numel(), y.data(), dy.data(), dx.data());
}

}  // namespace p2p
