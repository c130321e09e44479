// Channel concatenation layer over kernels/concat.h: y = cat([a, b], dim 1), owning y.
// backward splits dy into da (channels of a) and db (channels of b), each written when non-null
// and sized to its input.
#pragma once
#include "runtime/tensor.h"

namespace p2p {

class Concat {
 public:
  const Tensor& forward(const Tensor& a, const Tensor& b);
  void backward(const Tensor& dy, Tensor* da, Tensor* db);
  const Tensor& output() const { return y_; }

 private:
  Shape a_shape_, b_shape_;
  Tensor y_;
};

}  // namespace p2p
