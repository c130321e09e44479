#include "nn/concat.h"

#include "kernels/concat.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

const Tensor& Concat::forward(const Tensor& a, const Tensor& b) {
  P2P_CHECK(
      a.rank() == 4 && b.rank() == 4 && a.n() == b.n() && a.h() == b.h() && a.w() == b.w(),
      "Concat: cannot concatenate " << shape_str(a.shape()) << " and " << shape_str(b.shape()) << " along channels");
  a_shape_ = a.shape();
  b_shape_ = b.shape();
  ensure_buffer(y_, {a.n(), a.c() + b.c(), a.h(), a.w()}, a.device());
  concat_forward(a, b, y_);
  return y_;
}

void Concat::backward(const Tensor& dy, Tensor* da, Tensor* db) {
  check_shape(dy, y_.shape(), "Concat dy");
  if (da) ensure_buffer(*da, a_shape_, dy.device());
  if (db) ensure_buffer(*db, b_shape_, dy.device());
  concat_backward(dy, da, db);
}

}  // namespace p2p
