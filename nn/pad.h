// ReflectionPad2d(pad) layer over kernels/reflection_pad2d.h, as torch.nn.ReflectionPad2d: owns its
// output buffer; backward writes dx (sized to the last forward's input). No parameters.
#pragma once
#include "runtime/tensor.h"

namespace p2p {

class ReflectionPad2d {
 public:
  explicit ReflectionPad2d(int pad) : pad_(pad) {}
  const Tensor& forward(const Tensor& x);
  void backward(const Tensor& dy, Tensor* dx);
  const Tensor& output() const { return y_; }
  int pad() const { return pad_; }

 private:
  int pad_;
  Shape x_shape_;
  Tensor y_;
};

}  // namespace p2p
