// The VAE op cases (kernels/vae.h): the reparameterisation, the KL term and the two reconstruction
// losses, at latent sizes 1 to 7 and batch 1 to 3, aligned and misaligned (the float4 paths and the
// scalar ones), then at the sizes of the VAE of models/vae.h (latent 128, batch 64, 64x64 images)
// without the finite differences.
#include "kernels/vae.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

const char* kTolReason =
    "pointwise: a few float roundings (expf, expm1f, log1pf: a few ulp); sums of non-negative terms by a fixed "
    "tree: (k + 16) 2^-24 relative, under 4e-6 here";
const char* kDeviceReason =
    "L summed from float outputs: ~1e-7 |L| over a step of 2e-2 is ~1e-4 of the gradients, plus O(h^2) for these "
    "smooth ops";

std::string where(const std::string& op, const Shape& s, bool misaligned) {
  return op + " " + shape_str(s) + (misaligned ? " misaligned" : "");
}

OpGrad grad_of(const char* y, const char* dy, const char* x, const char* dx, double tol, const char* reason) {
  OpGrad g{y, dy, {{x, dx}}, tol, reason};
  g.device_tol = 5e-3;
  g.device_reason = kDeviceReason;
  return g;
}

// stats [n, 2L]: means in [-1, 1), log-variances in [-2, 2) (sigma from 0.37 to 2.7).
OpArg stats_arg(int64_t n, int64_t latent) { return {"stats", {n, 2 * latent, 1, 1}, Role::in, -2.0, 2.0}; }

OpCase reparameterize_case(int64_t n, int64_t latent, bool mis) {
  const Shape zs{n, latent, 1, 1};
  OpCase c;
  c.name = where("reparameterize", zs, mis);
  c.args = {stats_arg(n, latent),
            {"eps", zs, Role::in, -2.0, 2.0},
            {"dz", zs},
            {"z", zs, Role::out},
            {"dstats", {n, 2 * latent, 1, 1}, Role::out}};
  c.reference = [n, latent](Arrays& a) {
    ref::reparameterize_forward<double>(n, latent, a[0].data(), a[1].data(), a[3].data());
    ref::reparameterize_backward<double>(n, latent, a[0].data(), a[1].data(), a[2].data(), a[4].data());
  };
  c.run = [](std::vector<Tensor>& t) {
    reparameterize_forward(t[0], t[1], t[3]);
    reparameterize_backward(t[0], t[1], t[2], t[4]);
  };
  c.tol_reason = kTolReason;
  c.grad =
      grad_of("z", "dz", "stats", "dstats", 1e-7, "smooth; central-difference error O(h^2) plus rounding ~1e-10 / h");
  c.misaligned = mis;
  return c;
}

OpCase kl_case(int64_t n, int64_t latent, bool mis) {
  OpCase c;
  const Shape ss{n, 2 * latent, 1, 1};
  c.name = where("kl", ss, mis);
  c.args = {stats_arg(n, latent), {"dy", {1}}, {"loss", {1}, Role::out}, {"dstats", ss, Role::out}};
  c.reference = [n, latent](Arrays& a) {
    ref::kl_forward<double>(n, latent, a[0].data(), a[2].data());
    ref::kl_backward<double>(n, latent, a[0].data(), a[1][0], a[3].data());
  };
  c.run = [](std::vector<Tensor>& t) {
    kl_forward(t[0], t[2]);
    kl_backward(t[0], t[1].to_vector()[0], t[3]);
  };
  c.tol_reason = kTolReason;
  c.grad = grad_of("loss", "dy", "stats", "dstats", 1e-6,
                   "|L| <= 3 L: its rounding (~1e-15) over 2h = 2e-6 is ~1e-9, against gradients ~0.1 / N");
  c.misaligned = mis;
  return c;
}

// x: the decoder's output (tanh values for mse, logits in [-6, 6) for bce); y the target in [-1, 1).
OpCase recon_case(bool bce, const Shape& s, bool mis) {
  OpCase c;
  c.name = where(bce ? "recon_bce" : "recon_mse", s, mis);
  OpArg x{"x", s};
  if (bce) x.lo = -6.0, x.hi = 6.0;
  c.args = {x, {"y", s}, {"dy", {1}}, {"loss", {1}, Role::out}, {"dx", s, Role::out}};
  const int64_t n = s[0], numel = shape_numel(s);
  c.reference = [bce, n, numel](Arrays& a) {
    if (bce) {
      ref::recon_bce_forward<double>(n, numel, a[0].data(), a[1].data(), a[3].data());
      ref::recon_bce_backward<double>(n, numel, a[0].data(), a[1].data(), a[2][0], a[4].data());
    } else {
      ref::recon_mse_forward<double>(n, numel, a[0].data(), a[1].data(), a[3].data());
      ref::recon_mse_backward<double>(n, numel, a[0].data(), a[1].data(), a[2][0], a[4].data());
    }
  };
  c.run = [bce](std::vector<Tensor>& t) {
    const float scale = t[2].to_vector()[0];
    if (bce) {
      recon_bce_forward(t[0], t[1], t[3]);
      recon_bce_backward(t[0], t[1], scale, t[4]);
    } else {
      recon_mse_forward(t[0], t[1], t[3]);
      recon_mse_backward(t[0], t[1], scale, t[4]);
    }
  };
  c.tol_reason = kTolReason;
  c.grad = grad_of("loss", "dy", "x", "dx", 5e-6,
                   "|L| <= 4 numel / N: its rounding (~1e-14) over 2h = 2e-6 is ~1e-8, against gradients ~1 / N; plus "
                   "bce's O(h^2) truncation");
  c.misaligned = mis;
  return c;
}

}  // namespace

std::vector<OpCase> vae_cases(ShapeSet set) {
  std::vector<OpCase> cases;
  // {n, L}: a single latent, odd latent sizes (scalar tails), batch 1 to 3.
  for (auto [n, latent] : {std::pair<int64_t, int64_t>{1, 1}, {2, 5}, {3, 7}, {1, 4}})
    for (bool mis : {false, true}) {
      cases.push_back(reparameterize_case(n, latent, mis));
      cases.push_back(kl_case(n, latent, mis));
    }
  for (const Shape& s : std::vector<Shape>{{1, 1, 1, 1}, {2, 3, 5, 7}, {3, 1, 4, 5}})
    for (bool mis : {false, true})
      for (bool bce : {false, true}) cases.push_back(recon_case(bce, s, mis));
  // The model's sizes: latent 128 at batch 64 (several blocks of the KL sum), a batch of 64x64
  // images (every thread of the reduction sums several terms): no finite differences at this size.
  std::vector<OpCase> big = {reparameterize_case(64, 128, false), kl_case(64, 128, false),
                             recon_case(false, {set == ShapeSet::full ? 64 : 4, 3, 64, 64}, false),
                             recon_case(true, {set == ShapeSet::full ? 64 : 4, 3, 64, 64}, true)};
  for (OpCase& c : big) {
    c.grad.reset();
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace p2p::testing
