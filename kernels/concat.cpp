// Channel concatenation and its adjoint (math in concat.h). NCHW, so for each item n the channels
// of a, then those of b, are contiguous runs of ca * hw and cb * hw floats in y:
//   y[n][0 : ca*hw] = a[n],   y[n][ca*hw : (ca+cb)*hw] = b[n]
// Backward: da = dy[:, :ca], db = dy[:, ca:] (written; a null pointer skips that half).
#include "kernels/concat.h"

#include <algorithm>

#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
template <typename T>
void concat_forward(int n, int ca, int cb, int64_t hw, const T* a, const T* b, T* y) {
  const int64_t la = ca * hw, lb = cb * hw;
  for (int64_t i = 0; i < n; ++i) {
    std::copy(a + i * la, a + (i + 1) * la, y + i * (la + lb));
    std::copy(b + i * lb, b + (i + 1) * lb, y + i * (la + lb) + la);
  }
}
template <typename T>
void concat_backward(int n, int ca, int cb, int64_t hw, const T* dy, T* da, T* db) {
  const int64_t la = ca * hw, lb = cb * hw;
  for (int64_t i = 0; i < n; ++i) {
    const T* row = dy + i * (la + lb);
    if (da) std::copy(row, row + la, da + i * la);
    if (db) std::copy(row + la, row + la + lb, db + i * lb);
  }
}
template void concat_forward<float>(int, int, int, int64_t, const float*, const float*, float*);
template void concat_forward<double>(int, int, int, int64_t, const double*, const double*, double*);
template void concat_backward<float>(int, int, int, int64_t, const float*, float*, float*);
template void concat_backward<double>(int, int, int, int64_t, const double*, double*, double*);
}  // namespace ref

void concat_forward(const Tensor& a, const Tensor& b, Tensor& y) {
  Device dev = common_device({&a, &b, &y}, "concat_forward");
  check_rank(a, 4, "concat_forward: a");
  check_rank(b, 4, "concat_forward: b");
  P2P_CHECK(a.n() == b.n() && a.h() == b.h() && a.w() == b.w(),
            "concat_forward: a " << shape_str(a.shape()) << " and b " << shape_str(b.shape())
                                 << " differ in N, H or W (only the channels may differ)");
  check_shape(y, {a.n(), a.c() + b.c(), a.h(), a.w()}, "concat_forward: y");
  const int64_t hw = int64_t(a.h()) * a.w();
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::concat_forward(a.n(), a.c(), b.c(), hw, a.data(), b.data(), y.data()));
  else
    ref::concat_forward(a.n(), a.c(), b.c(), hw, a.data(), b.data(), y.data());
}

void concat_backward(const Tensor& dy, Tensor* da, Tensor* db) {
  if (da && !da->defined()) da = nullptr;
  if (db && !db->defined()) db = nullptr;
  P2P_CHECK(da || db, "concat_backward: neither da nor db given");
  Device dev = common_device({&dy, da, db}, "concat_backward");
  check_rank(dy, 4, "concat_backward: dy");
  if (da) check_rank(*da, 4, "concat_backward: da");
  if (db) check_rank(*db, 4, "concat_backward: db");
  // The split point: da's channels, else whatever db leaves of dy's.
  const int ca = da ? da->c() : dy.c() - db->c();
  P2P_CHECK(ca >= 0 && ca <= dy.c(), "concat_backward: dy " << shape_str(dy.shape()) << " has fewer channels than "
                                                            << (da ? "da " : "db ")
                                                            << shape_str((da ? da : db)->shape()));
  const int cb = dy.c() - ca;
  if (da) check_shape(*da, {dy.n(), ca, dy.h(), dy.w()}, "concat_backward: da");
  if (db) check_shape(*db, {dy.n(), cb, dy.h(), dy.w()}, "concat_backward: db");
  const int64_t hw = int64_t(dy.h()) * dy.w();
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::concat_backward(dy.n(), ca, cb, hw, dy.data(), opt_data(da), opt_data(db)));
  else
    ref::concat_backward(dy.n(), ca, cb, hw, dy.data(), opt_data(da), opt_data(db));
}

}  // namespace p2p
