// Activation layers over kernels/activation.h; each owns its output buffer.
//   LeakyReLU(slope): y = x > 0 ? x : slope x      dx = dy * (x > 0 ? 1 : slope)   (keeps x)
//   ReLU:             LeakyReLU with slope 0        (keeps x)
//   Tanh:             y = tanh(x)                   dx = dy * (1 - y^2)              (keeps y)
// backward writes dx (sized to x); there are no parameters.
#pragma once
#include "runtime/tensor.h"

namespace p2p {

class LeakyReLU {
 public:
  explicit LeakyReLU(float slope) : slope_(slope) {}
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx);
  const Tensor& output() const { return y_; }
  const Tensor& input() const { return x_; }  // the last forward's x, whose signs pick the slopes
  float slope() const { return slope_; }

 private:
  float slope_;
  Tensor x_, y_;
};

class ReLU {
 public:
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx);
  const Tensor& output() const { return y_; }
  const Tensor& input() const { return x_; }

 private:
  Tensor x_, y_;
};

class Tanh {
 public:
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx);
  const Tensor& output() const { return y_; }

 private:
  Tensor y_;
};

}  // namespace p2p
