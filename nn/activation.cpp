#include "nn/activation.h"

#include "kernels/activation.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

const Tensor& LeakyReLU::forward(const Tensor& x) {
  x_ = x;
  ensure_buffer(y_, x.shape(), x.device());
  leaky_relu_forward(x, slope_, y_);
  return y_;
}

void LeakyReLU::backward(const Tensor& dy, Tensor* dx) {
  P2P_CHECK(x_.defined(), "LeakyReLU: backward before forward");
  if (!dx) return;
  ensure_buffer(*dx, x_.shape(), x_.device());
  leaky_relu_backward(x_, dy, slope_, *dx);
}

const Tensor& ReLU::forward(const Tensor& x) {
  x_ = x;
  ensure_buffer(y_, x.shape(), x.device());
  relu_forward(x, y_);
  return y_;
}

void ReLU::backward(const Tensor& dy, Tensor* dx) {
  P2P_CHECK(x_.defined(), "ReLU: backward before forward");
  if (!dx) return;
  ensure_buffer(*dx, x_.shape(), x_.device());
  relu_backward(x_, dy, *dx);
}

const Tensor& Tanh::forward(const Tensor& x) {
  ensure_buffer(y_, x.shape(), x.device());
  tanh_forward(x, y_);
  return y_;
}

void Tanh::backward(const Tensor& dy, Tensor* dx) {
  P2P_CHECK(y_.defined(), "Tanh: backward before forward");
  if (!dx) return;
  ensure_buffer(*dx, y_.shape(), y_.device());
  tanh_backward(y_, dy, *dx);
}

}  // namespace p2p
