// Training-health statistics: CPU references and tensor-level entry points (math and numerics in
// stats.h). Every sum accumulates in double in index order, whatever T is; moments is two-pass.
#include "kernels/stats.h"

#include <cmath>

#include "kernels/loss.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
namespace {
template <class Term>
double sum_of(int64_t n, Term term) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += term(i);
  return s;
}
}  // namespace

template <typename T>
void l2_norm(int64_t n, const T* x, T* out) {
  out[0] = static_cast<T>(std::sqrt(sum_of(n, [&](int64_t i) { return double(x[i]) * double(x[i]); })));
}
template <typename T>
void moments(int64_t n, const T* x, T* out) {
  const double mean = sum_of(n, [&](int64_t i) { return double(x[i]); }) / double(n);
  const double var = sum_of(n, [&](int64_t i) { return (double(x[i]) - mean) * (double(x[i]) - mean); }) / double(n);
  out[0] = static_cast<T>(mean);
  out[1] = static_cast<T>(std::sqrt(var));
}
template <typename T>
void mean_sigmoid(int64_t n, const T* x, T* out) {
  out[0] = static_cast<T>(sum_of(n, [&](int64_t i) { return double(sigmoid(x[i])); }) / double(n));
}
template <typename T>
void adam_update_norm(int64_t n, const T* m, const T* v, T lr, T beta1, T beta2, T eps, int64_t t, T* out) {
  const AdamScalars k = adam_scalars(lr, beta1, beta2, t);
  const T step_size = static_cast<T>(k.step_size), bc2_sqrt = static_cast<T>(k.bc2_sqrt);
  out[0] = static_cast<T>(std::sqrt(sum_of(n, [&](int64_t i) {
    const double u = step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);  // u_i formed in T, as adam_step
    return u * u;
  })));
}

#define P2P_INSTANTIATE(T)                              \
  template void l2_norm<T>(int64_t, const T*, T*);      \
  template void moments<T>(int64_t, const T*, T*);      \
  template void mean_sigmoid<T>(int64_t, const T*, T*); \
  template void adam_update_norm<T>(int64_t, const T*, const T*, T, T, T, T, int64_t, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE
}  // namespace ref

namespace {
// x non-empty, out [outputs] on x's device.
Device check_stat(const char* op, const Tensor& x, const Tensor* x2, const Tensor& out, int64_t outputs) {
  const Device dev = common_device({&x, x2, &out}, op);
  P2P_CHECK(x.defined() && x.numel() > 0, op << ": input " << shape_str(x.shape()) << " is empty (needs n > 0)");
  if (x2) P2P_CHECK(x2->numel() == x.numel(), op << ": m has " << x.numel() << " elements, v " << x2->numel());
  const std::string what = std::string(op) + ": out";
  check_shape(out, {outputs}, what.c_str());
  return dev;
}
}  // namespace

void l2_norm(const Tensor& x, Tensor& out) {
  if (check_stat("l2_norm", x, nullptr, out, 1) == Device::CUDA)
    P2P_ON_CUDA(cuda::l2_norm(x.numel(), x.data(), out.data()));
  else
    ref::l2_norm(x.numel(), x.data(), out.data());
}

void moments(const Tensor& x, Tensor& out) {
  if (check_stat("moments", x, nullptr, out, 2) == Device::CUDA)
    P2P_ON_CUDA(cuda::moments(x.numel(), x.data(), out.data()));
  else
    ref::moments(x.numel(), x.data(), out.data());
}

void mean_sigmoid(const Tensor& x, Tensor& out) {
  if (check_stat("mean_sigmoid", x, nullptr, out, 1) == Device::CUDA)
    P2P_ON_CUDA(cuda::mean_sigmoid(x.numel(), x.data(), out.data()));
  else
    ref::mean_sigmoid(x.numel(), x.data(), out.data());
}

void adam_update_norm(const Tensor& m, const Tensor& v, const AdamConfig& cfg, int64_t t, Tensor& out) {
  P2P_CHECK(t >= 1, "adam_update_norm: step t = " << t << ", must be >= 1 (steps count from 1)");
  if (check_stat("adam_update_norm", m, &v, out, 1) == Device::CUDA)
    P2P_ON_CUDA(
        cuda::adam_update_norm(m.numel(), m.data(), v.data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, t, out.data()));
  else
    ref::adam_update_norm(m.numel(), m.data(), v.data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, t, out.data());
}

}  // namespace p2p
