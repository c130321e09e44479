#include "nn/dropout.h"

#include "kernels/dropout.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

Dropout::Dropout(float p) : p_(p) { P2P_CHECK(p >= 0.0f && p < 1.0f, "Dropout: p must be in [0, 1), got " << p); }

const Tensor& Dropout::forward(const Tensor& x, bool training, RandomStreams& rng) {
  training_ = training;
  x_shape_ = x.shape();
  device_ = x.device();
  if (!training) return x;
  seed_ = rng.seed();
  offset_ = rng.take();
  device_offset_ = rng.device_offset();
  ensure_buffer(y_, x.shape(), x.device());
  dropout_forward(x, p_, seed_, offset_, y_, device_offset_);
  return y_;
}

void Dropout::backward(const Tensor& dy, Tensor* dx) {
  check_shape(dy, x_shape_, "Dropout dy");
  if (!dx) return;
  ensure_buffer(*dx, x_shape_, device_);
  if (training_)
    dropout_backward(dy, p_, seed_, offset_, *dx, device_offset_);
  else
    dx->copy_from(dy);
}

}  // namespace p2p
