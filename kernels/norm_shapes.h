// Shape checks shared by the tensor-level entry points of batch_norm2d and instance_norm2d (internal
// to kernels/): x is [N, C, H, W]; activation-shaped tensors match x; per-channel ones (gamma, beta,
// their gradients, batch norm's statistics) are [C]. Each error names the op and the tensor. The
// op-specific shapes (instance norm's saved statistics, [N, C]) are checked in the op's own file.
#pragma once
#include <string>

#include "kernels/batch_norm2d.h"

namespace p2p {

struct NormShapes {
  const char* op;
  const Tensor& x;

  NormShapes(const char* op_name, const Tensor& x_in) : op(op_name), x(x_in) {}
  NormGeom geom() const {
    check_rank(x, 4, (std::string(op) + ": x").c_str());
    return NormGeom{x.n(), x.c(), x.h(), x.w()};
  }
  void like_x(const Tensor& t, const char* name) const {
    check_shape(t, x.shape(), (std::string(op) + ": " + name + " (the shape of x)").c_str());
  }
  void per_channel(const Tensor& t, const char* name) const {
    check_shape(t, {x.dim(1)}, (std::string(op) + ": " + name + " (one value per channel of x)").c_str());
  }
  // An optional tensor (null pointer or undefined) is skipped.
  void per_channel(const Tensor* t, const char* name) const {
    if (t && t->defined()) per_channel(*t, name);
  }
};

}  // namespace p2p
