#include "nn/pad.h"

#include "kernels/reflection_pad2d.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

const Tensor& ReflectionPad2d::forward(const Tensor& x) {
  const PadGeom g = reflection_pad2d_geom(x, pad_);
  x_shape_ = x.shape();
  ensure_buffer(y_, {g.n, g.c, g.ho(), g.wo()}, x.device());
  reflection_pad2d_forward(x, pad_, y_);
  return y_;
}

void ReflectionPad2d::backward(const Tensor& dy, Tensor* dx) {
  P2P_CHECK(!x_shape_.empty(), "ReflectionPad2d: backward before forward");
  if (!dx) return;
  ensure_buffer(*dx, x_shape_, dy.device());
  reflection_pad2d_backward(dy, pad_, *dx);
}

}  // namespace p2p
