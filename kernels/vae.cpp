// The VAE ops: CPU references and tensor-level entry points (math, layout and conventions in vae.h).
// The references sum the loss terms in double in index order, whatever T is, then divide by N.
#include "kernels/vae.h"

#include <cmath>

#include "kernels/loss.h"
#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
namespace {
template <typename T, class Term>
T batch_average(int64_t n, int64_t terms, Term term) {
  double sum = 0.0;
  for (int64_t i = 0; i < terms; ++i) sum += static_cast<double>(term(i));
  return static_cast<T>(sum / static_cast<double>(n));
}
}  // namespace

template <typename T>
void reparameterize_forward(int64_t n, int64_t latent, const T* stats, const T* eps, T* z) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < latent; ++j) {
      const T mu = stats[b * 2 * latent + j], lv = stats[b * 2 * latent + latent + j];
      z[b * latent + j] = mu + std::exp(lv / T(2)) * eps[b * latent + j];
    }
}
template <typename T>
void reparameterize_backward(int64_t n, int64_t latent, const T* stats, const T* eps, const T* dz, T* dstats) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < latent; ++j) {
      const int64_t i = b * latent + j;
      const T lv = stats[b * 2 * latent + latent + j];
      dstats[b * 2 * latent + j] = dz[i];
      dstats[b * 2 * latent + latent + j] = dz[i] * eps[i] * std::exp(lv / T(2)) / T(2);
    }
}
template <typename T>
void kl_forward(int64_t n, int64_t latent, const T* stats, T* loss) {
  *loss = batch_average<T>(n, n * latent, [&](int64_t i) {
    const int64_t b = i / latent, j = i % latent;
    const T mu = stats[b * 2 * latent + j], lv = stats[b * 2 * latent + latent + j];
    return (mu * mu + std::expm1(lv) - lv) / T(2);
  });
}
template <typename T>
void kl_backward(int64_t n, int64_t latent, const T* stats, T scale, T* dstats) {
  // Element k of stats is a mean when k mod 2L < L, else a log-variance.
  for (int64_t k = 0; k < n * 2 * latent; ++k)
    dstats[k] = scale * (k % (2 * latent) < latent ? stats[k] : std::expm1(stats[k]) / T(2)) / T(n);
}
template <typename T>
void recon_mse_forward(int64_t n, int64_t numel, const T* x, const T* y, T* loss) {
  *loss = batch_average<T>(n, numel, [&](int64_t i) { return (x[i] - y[i]) * (x[i] - y[i]); });
}
template <typename T>
void recon_mse_backward(int64_t n, int64_t numel, const T* x, const T* y, T scale, T* dx) {
  for (int64_t i = 0; i < numel; ++i) dx[i] = scale * T(2) * (x[i] - y[i]) / T(n);
}
template <typename T>
void recon_bce_forward(int64_t n, int64_t numel, const T* x, const T* y, T* loss) {
  *loss = batch_average<T>(n, numel, [&](int64_t i) { return bce_term(x[i], (y[i] + T(1)) / T(2)); });
}
template <typename T>
void recon_bce_backward(int64_t n, int64_t numel, const T* x, const T* y, T scale, T* dx) {
  for (int64_t i = 0; i < numel; ++i) dx[i] = scale * bce_grad(x[i], (y[i] + T(1)) / T(2)) / T(n);
}

#define P2P_INSTANTIATE(T)                                                                      \
  template void reparameterize_forward<T>(int64_t, int64_t, const T*, const T*, T*);            \
  template void reparameterize_backward<T>(int64_t, int64_t, const T*, const T*, const T*, T*); \
  template void kl_forward<T>(int64_t, int64_t, const T*, T*);                                  \
  template void kl_backward<T>(int64_t, int64_t, const T*, T, T*);                              \
  template void recon_mse_forward<T>(int64_t, int64_t, const T*, const T*, T*);                 \
  template void recon_mse_backward<T>(int64_t, int64_t, const T*, const T*, T, T*);             \
  template void recon_bce_forward<T>(int64_t, int64_t, const T*, const T*, T*);                 \
  template void recon_bce_backward<T>(int64_t, int64_t, const T*, const T*, T, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE
}  // namespace ref

namespace {
// The latent size of stats [N, 2L, ...]: checked to be whole and, with eps, to agree.
int64_t latent_of(const char* op, const Tensor& stats, const Tensor* eps) {
  P2P_CHECK(stats.defined() && stats.rank() >= 2 && stats.shape()[0] > 0 && stats.numel() > 0,
            op << ": stats " << shape_str(stats.shape()) << " must be [N, 2L, ...] with N > 0");
  const int64_t n = stats.shape()[0], per_image = stats.numel() / n;
  P2P_CHECK(per_image % 2 == 0, op << ": stats " << shape_str(stats.shape()) << " hold an odd number of values per "
                                   << "image (expected L means then L log-variances)");
  if (eps)
    P2P_CHECK(eps->numel() == stats.numel() / 2 && eps->shape()[0] == n,
              op << ": eps " << shape_str(eps->shape()) << " must hold N L = " << stats.numel() / 2
                 << " values, N = " << n << " first, for stats " << shape_str(stats.shape()));
  return per_image / 2;
}
// x and y of one non-empty shape [N, ...]; out a [1] loss or a dx like x.
void check_recon(const char* op, const Tensor& x, const Tensor& y, const Tensor& out, bool out_is_loss) {
  P2P_CHECK(x.defined() && x.rank() >= 1 && x.numel() > 0, op << ": x " << shape_str(x.shape()) << " is empty");
  P2P_CHECK(y.shape() == x.shape(),
            op << ": x " << shape_str(x.shape()) << " and y " << shape_str(y.shape()) << " differ in shape");
  const std::string what = std::string(op) + (out_is_loss ? ": loss (a 1-element tensor)" : ": dx (must match x)");
  check_shape(out, out_is_loss ? Shape{1} : x.shape(), what.c_str());
}
}  // namespace

void reparameterize_forward(const Tensor& stats, const Tensor& eps, Tensor& z) {
  const int64_t latent = latent_of("reparameterize_forward", stats, &eps);
  check_shape(z, eps.shape(), "reparameterize_forward: z (must match eps)");
  const int64_t n = stats.shape()[0];
  if (common_device({&stats, &eps, &z}, "reparameterize_forward") == Device::CUDA)
    P2P_ON_CUDA(cuda::reparameterize_forward(n, latent, stats.data(), eps.data(), z.data()));
  else
    ref::reparameterize_forward(n, latent, stats.data(), eps.data(), z.data());
}

void reparameterize_backward(const Tensor& stats, const Tensor& eps, const Tensor& dz, Tensor& dstats) {
  const int64_t latent = latent_of("reparameterize_backward", stats, &eps);
  check_shape(dz, eps.shape(), "reparameterize_backward: dz (must match eps)");
  check_shape(dstats, stats.shape(), "reparameterize_backward: dstats (must match stats)");
  const int64_t n = stats.shape()[0];
  if (common_device({&stats, &eps, &dz, &dstats}, "reparameterize_backward") == Device::CUDA)
    P2P_ON_CUDA(cuda::reparameterize_backward(n, latent, stats.data(), eps.data(), dz.data(), dstats.data()));
  else
    ref::reparameterize_backward(n, latent, stats.data(), eps.data(), dz.data(), dstats.data());
}

void kl_forward(const Tensor& stats, Tensor& loss) {
  const int64_t latent = latent_of("kl_forward", stats, nullptr);
  check_shape(loss, {1}, "kl_forward: loss (a 1-element tensor)");
  const int64_t n = stats.shape()[0];
  if (common_device({&stats, &loss}, "kl_forward") == Device::CUDA)
    P2P_ON_CUDA(cuda::kl_forward(n, latent, stats.data(), loss.data()));
  else
    ref::kl_forward(n, latent, stats.data(), loss.data());
}

void kl_backward(const Tensor& stats, float scale, Tensor& dstats) {
  const int64_t latent = latent_of("kl_backward", stats, nullptr);
  check_shape(dstats, stats.shape(), "kl_backward: dstats (must match stats)");
  const int64_t n = stats.shape()[0];
  if (common_device({&stats, &dstats}, "kl_backward") == Device::CUDA)
    P2P_ON_CUDA(cuda::kl_backward(n, latent, stats.data(), scale, dstats.data()));
  else
    ref::kl_backward(n, latent, stats.data(), scale, dstats.data());
}

void recon_mse_forward(const Tensor& x, const Tensor& y, Tensor& loss) {
  check_recon("recon_mse_forward", x, y, loss, true);
  if (common_device({&x, &y, &loss}, "recon_mse_forward") == Device::CUDA)
    P2P_ON_CUDA(cuda::recon_mse_forward(x.shape()[0], x.numel(), x.data(), y.data(), loss.data()));
  else
    ref::recon_mse_forward(x.shape()[0], x.numel(), x.data(), y.data(), loss.data());
}

void recon_mse_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx) {
  check_recon("recon_mse_backward", x, y, dx, false);
  if (common_device({&x, &y, &dx}, "recon_mse_backward") == Device::CUDA)
    P2P_ON_CUDA(cuda::recon_mse_backward(x.shape()[0], x.numel(), x.data(), y.data(), scale, dx.data()));
  else
    ref::recon_mse_backward(x.shape()[0], x.numel(), x.data(), y.data(), scale, dx.data());
}

void recon_bce_forward(const Tensor& x, const Tensor& y, Tensor& loss) {
  check_recon("recon_bce_forward", x, y, loss, true);
  if (common_device({&x, &y, &loss}, "recon_bce_forward") == Device::CUDA)
    P2P_ON_CUDA(cuda::recon_bce_forward(x.shape()[0], x.numel(), x.data(), y.data(), loss.data()));
  else
    ref::recon_bce_forward(x.shape()[0], x.numel(), x.data(), y.data(), loss.data());
}

void recon_bce_backward(const Tensor& x, const Tensor& y, float scale, Tensor& dx) {
  check_recon("recon_bce_backward", x, y, dx, false);
  if (common_device({&x, &y, &dx}, "recon_bce_backward") == Device::CUDA)
    P2P_ON_CUDA(cuda::recon_bce_backward(x.shape()[0], x.numel(), x.data(), y.data(), scale, dx.data()));
  else
    ref::recon_bce_backward(x.shape()[0], x.numel(), x.data(), y.data(), scale, dx.data());
}

}  // namespace p2p
