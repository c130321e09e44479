// Losses: CPU references and tensor-level entry points (math in loss.h). Each is a mean over the
// n elements of x, and each backward writes dx = scale * dl/dx (an activation gradient, =).
//   bce_with_logits: l_i = max(x, 0) - x t + log(1 + exp(-|x|))   (stable: no exp of a positive number)
//                    dl_i/dx = sigmoid(x) - t, sigmoid evaluated without overflow for either sign
//   mse:             l_i = (x - t)^2,     dl_i/dx = 2 (x - t)
//   l1:              l_i = |x - y|,       dl_i/dx = sign(x - y), sign(0) = 0
// The references sum the terms in double in index order, whatever T is, then divide by n.
#include "kernels/loss.h"

#include <algorithm>
#include <cmath>

#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
namespace {
template <typename T, class Term>
T mean_of(int64_t n, Term term) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(term(i));
  return static_cast<T>(sum / static_cast<double>(n));
}
template <typename T>
T sign(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}
}  // namespace

template <typename T>
T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
template <typename T>
T bce_term(T x, T t) {
  return std::max(x, T(0)) - x * t + std::log1p(std::exp(-std::abs(x)));
}
template <typename T>
T bce_grad(T x, T t) {
  // sigmoid(x) - t as (1 - t) sigmoid(x) - t sigmoid(-x) (equal, as sigmoid(x) + sigmoid(-x) = 1): for
  // t = 1 and a large logit, 1 - sigmoid(x) would cancel the digits that sigmoid(-x) keeps.
  return (T(1) - t) * sigmoid(x) - t * sigmoid(-x);
}

template <typename T>
void bce_with_logits_forward(int64_t n, const T* x, T target, T* loss) {
  *loss = mean_of<T>(n, [&](int64_t i) { return bce_term(x[i], target); });
}
template <typename T>
void bce_with_logits_backward(int64_t n, const T* x, T target, T scale, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = scale * bce_grad(x[i], target) / T(n);
}
template <typename T>
void mse_forward(int64_t n, const T* x, T target, T* loss) {
  *loss = mean_of<T>(n, [&](int64_t i) { return (x[i] - target) * (x[i] - target); });
}
template <typename T>
void mse_backward(int64_t n, const T* x, T target, T scale, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = scale * T(2) * (x[i] - target) / T(n);
}
template <typename T>
void l1_forward(int64_t n, const T* x, const T* y, T* loss) {
  *loss = mean_of<T>(n, [&](int64_t i) { return std::abs(x[i] - y[i]); });
}
template <typename T>
void l1_backward(int64_t n, const T* x, const T* y, T scale, T* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = scale * sign(x[i] - y[i]) / T(n);
}

#define P2P_INSTANTIATE(T)                                                \
  template T sigmoid<T>(T);                                               \
  template T bce_term<T>(T, T);                                           \
  template T bce_grad<T>(T, T);                                           \
  template void bce_with_logits_forward<T>(int64_t, const T*, T, T*);     \
  template void bce_with_logits_backward<T>(int64_t, const T*, T, T, T*); \
  template void mse_forward<T>(int64_t, const T*, T, T*);                 \
  template void mse_backward<T>(int64_t, const T*, T, T, T*);             \
  template void l1_forward<T>(int64_t, const T*, const T*, T*);           \
  template void l1_backward<T>(int64_t, const T*, const T*, T, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE
}  // namespace ref

namespace {
// x is non-empty, y (if given) has x's shape, and out is a [1] loss or a dx of x's shape.
Device check_loss(const char* op, const Tensor& x, const Tensor* y, const Tensor& out, bool out_is_loss) {
  Device dev = common_device({&x, y, &out}, op);
  P2P_CHECK(x.defined() && x.numel() > 0, op << ": x " << shape_str(x.shape()) << " is empty (the mean needs n > 0)");
  if (y)
    P2P_CHECK(y->shape() == x.shape(),
              op << ": x " << shape_str(x.shape()) << " and y " << shape_str(y->shape()) << " differ in shape");
  const std::string what = std::string(op) + (out_is_loss ? ": loss (a 1-element tensor)" : ": dx (must match x)");
  check_shape(out, out_is_loss ? Shape{1} : x.shape(), what.c_str());
  return dev;
}
}  // namespace

void bce_with_logits_forward(const Tensor& x, float target, Tensor& loss) {
  if (check_loss("bce_with_logits_forward", x, nullptr, loss, true) == Device::CUDA)
    P2P_ON_CUDA(cuda::bce_with_logits_forward(x.numel(), x.data(), target, loss.data()));
  else
    ref::bce_with_logits_forward(x.numel(), x.data(), target, loss.data());
}

void bce_with_logits_backward(const Tensor& x, float target, float scale, Tensor& dx) {
  if (check_loss("bce_with_logits_backward", x, nullptr, dx, false) == Device::CUDA)
    P2P_ON_CUDA(cuda::bce_with_logits_backward(x.numel(), x.data(), target, scale, dx.data()));
  else
    ref::bce_with_logits_backward(x.numel(), x.data(), target, scale, dx.data());
}

void mse_forward(const Tensor& x, float target, Tensor& loss) {
  if (check_loss("mse_forward", x, nullptr, loss, true) == Device::CUDA)
    P2P_ON_CUDA(cuda::mse_forward(x.numel(), x.data(), target, loss.data()));
  else
    ref::mse_forward(x.numel(), x.data(), target, loss.data());
}

void mse_backward(const Tensor& x, float target, float scale, Tensor& dx) {
  if (check_loss("mse_backward", x, nullptr, dx, false) == Device::CUDA)
    P2P_ON_CUDA(cuda::mse_backward(x.numel(), x.data(), target, scale, dx.data()));
  else
    ref::mse_backward(x.numel(), x.data(), target, scale, dx.data());
}

void l1_forward(const Tensor& x, const Tensor& y, Tensor& loss) {
  if (check_loss("l1_forward", x, &y, loss, true) == Device::CUDA)
    P2P_ON_CUDA(cuda::l1_forward(x.numel(), x.data(), y.data(), loss.data()));
  else
    ref::l1_forward(x.numel(), x.data(), y.data(), loss.data());
}

void l1_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx) {
  if (check_loss("l1_backward", x, &y, dx, false) == Device::CUDA)
    P2P_ON_CUDA(cuda::l1_backward(x.numel(), x.data(), y.data(), scale, dx.data()));
  else
    ref::l1_backward(x.numel(), x.data(), y.data(), scale, dx.data());
}

}  // namespace p2p
