// The VAE ops on the GPU (math and layout in vae.h). The losses (KL, reconstruction) are the
// deterministic two-stage float sums of kernels/reduce.cuh divided by N; every term is >= 0, so the
// relative error stays near (k + 16) 2^-24 with k terms per thread. The other ops are pointwise maps
// (kernels/pointwise_map.cuh): reparameterize over the N L latents, the stats gradients over the
// N 2L stats (element k a mean when k mod 2L < L, else a log-variance), with s = scale / N rounded
// once.
#include "kernels/logistic.cuh"
#include "kernels/pointwise_map.cuh"
#include "kernels/reduce.cuh"
#include "kernels/vae.h"

namespace p2p::cuda {

namespace {
float over_n(float scale, int64_t n) { return static_cast<float>(static_cast<double>(scale) / n); }

struct Reparameterize {  // in: eps; out: z
  const float* stats;
  int64_t latent;
  __device__ void operator()(int64_t i, const float (&eps)[1], float (&z)[1]) const {
    const int64_t b = i / latent, j = i % latent;
    const float mu = stats[b * 2 * latent + j], lv = stats[b * 2 * latent + latent + j];
    z[0] = mu + expf(0.5f * lv) * eps[0];
  }
};
struct ReparameterizeBackward {  // in: stats; out: dstats
  const float *eps, *dz;
  int64_t latent;
  __device__ void operator()(int64_t k, const float (&s)[1], float (&ds)[1]) const {
    const int64_t b = k / (2 * latent), r = k % (2 * latent);
    const int64_t i = b * latent + (r < latent ? r : r - latent);
    ds[0] = r < latent ? dz[i] : dz[i] * eps[i] * expf(0.5f * s[0]) * 0.5f;
  }
};
struct KlTerm {
  const float* stats;
  int64_t latent;
  __device__ float operator()(int64_t i) const {
    const int64_t b = i / latent, j = i % latent;
    const float mu = stats[b * 2 * latent + j], lv = stats[b * 2 * latent + latent + j];
    return 0.5f * (mu * mu + expm1f(lv) - lv);
  }
};
struct KlBackward {  // in: stats; out: dstats; s = scale / N
  int64_t latent;
  float s;
  __device__ void operator()(int64_t k, const float (&x)[1], float (&dx)[1]) const {
    dx[0] = k % (2 * latent) < latent ? s * x[0] : s * 0.5f * expm1f(x[0]);
  }
};
struct MseTerm {
  const float *x, *y;
  __device__ float operator()(int64_t i) const { return (x[i] - y[i]) * (x[i] - y[i]); }
};
struct BceTerm {  // y in [-1, 1] read as the probability t = (y + 1) / 2
  const float *x, *y;
  __device__ float operator()(int64_t i) const { return bce_term(x[i], 0.5f * (y[i] + 1.0f)); }
};
struct MseBackward {  // in: x, y; s = scale / N
  float s;
  __device__ void operator()(int64_t, const float (&in)[2], float (&dx)[1]) const {
    dx[0] = s * 2.0f * (in[0] - in[1]);
  }
};
struct BceBackward {
  float s;
  __device__ void operator()(int64_t, const float (&in)[2], float (&dx)[1]) const {
    dx[0] = s * bce_grad(in[0], 0.5f * (in[1] + 1.0f));
  }
};
}  // namespace

void reparameterize_forward(int64_t n, int64_t latent, const float* stats, const float* eps, float* z) {
  pointwise_map(n * latent, MapBuffers<1, 1>{{eps}, {z}}, Reparameterize{stats, latent});
}
void reparameterize_backward(int64_t n, int64_t latent, const float* stats, const float* eps, const float* dz,
                             float* dstats) {
  pointwise_map(n * 2 * latent, MapBuffers<1, 1>{{stats}, {dstats}}, ReparameterizeBackward{eps, dz, latent});
}
void kl_forward(int64_t n, int64_t latent, const float* stats, float* loss) {
  sum_divided(n * latent, KlTerm{stats, latent}, static_cast<float>(n), loss);
}
void kl_backward(int64_t n, int64_t latent, const float* stats, float scale, float* dstats) {
  pointwise_map(n * 2 * latent, MapBuffers<1, 1>{{stats}, {dstats}}, KlBackward{latent, over_n(scale, n)});
}
void recon_mse_forward(int64_t n, int64_t numel, const float* x, const float* y, float* loss) {
  sum_divided(numel, MseTerm{x, y}, static_cast<float>(n), loss);
}
void recon_mse_backward(int64_t n, int64_t numel, const float* x, const float* y, float scale, float* dx) {
  pointwise_map(numel, MapBuffers<2, 1>{{x, y}, {dx}}, MseBackward{over_n(scale, n)});
}
void recon_bce_forward(int64_t n, int64_t numel, const float* x, const float* y, float* loss) {
  sum_divided(numel, BceTerm{x, y}, static_cast<float>(n), loss);
}
void recon_bce_backward(int64_t n, int64_t numel, const float* x, const float* y, float scale, float* dx) {
  pointwise_map(numel, MapBuffers<2, 1>{{x, y}, {dx}}, BceBackward{over_n(scale, n)});
}

}  // namespace p2p::cuda
