// Adam against the formula worked independently: three steps on a few elements, with the moments
// written as geometric sums over the gradient history instead of the reference's recurrences.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/adam.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
// Unrolling m_t = b1 m_{t-1} + (1 - b1) g_t from m_0 = 0 gives
//   m_t = (1 - b1) sum_{k=1..t} b1^(t-k) g_k,   v_t = (1 - b2) sum_{k=1..t} b2^(t-k) g_k^2,
// and with mhat = m_t / (1 - b1^t), vhat = v_t / (1 - b2^t) the step is
//   p_t = p_{t-1} - lr mhat / (sqrt(vhat) + eps)
// (PyTorch's sqrt(v_t) / sqrt(1 - b2^t) + eps is sqrt(vhat) + eps: eps outside the square root,
// after the bias correction). history[k][i] is g_{k+1} of element i.
std::vector<double> expected_params(std::vector<double> p, const std::vector<std::vector<double>>& history,
                                    const AdamConfig& c) {
  const double b1 = c.beta1, b2 = c.beta2;
  for (size_t t = 1; t <= history.size(); ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double m = 0.0, v = 0.0;
      for (size_t k = 1; k <= t; ++k) {
        m += (1.0 - b1) * std::pow(b1, double(t - k)) * history[k - 1][i];
        v += (1.0 - b2) * std::pow(b2, double(t - k)) * history[k - 1][i] * history[k - 1][i];
      }
      const double mhat = m / (1.0 - std::pow(b1, double(t))), vhat = v / (1.0 - std::pow(b2, double(t)));
      p[i] -= double(c.lr) * mhat / (std::sqrt(vhat) + double(c.eps));
    }
  }
  return p;
}

const std::vector<double> kStart = {0.5, -0.25, 0.125, 1.0};
// Element 2 has g = 0 at step 1 (0 / (0 + eps) = 0: no step); element 3 has |g| ~ eps, where
// eps's place in the denominator matters.
const std::vector<std::vector<double>> kHistory = {
    {0.5, -2.0, 0.0, 1e-9}, {0.25, 1.0, -0.1, 1e-9}, {-0.125, 0.5, 0.3, -2e-9}};
}  // namespace

TEST_CASE("adam: three steps against the closed form", "[adam]") {
  AdamConfig cfg;
  cfg.lr = 0.01f;  // pix2pix's beta1 = 0.5, beta2 = 0.999, eps = 1e-8
  std::vector<double> p = kStart, m(4, 0.0), v(4, 0.0);
  Tensor pf = tensor_of({4}, kStart, Device::CPU), mf = Tensor::zeros({4}), vf = Tensor::zeros({4});
  for (int t = 1; t <= 3; ++t) {
    const std::vector<double>& g = kHistory[t - 1];
    ref::adam_step<double>(4, p.data(), g.data(), m.data(), v.data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps, t);
    adam_step(pf, tensor_of({4}, g, Device::CPU), mf, vf, cfg, t);
    const std::vector<double> want =
        expected_params(kStart, std::vector<std::vector<double>>(kHistory.begin(), kHistory.begin() + t), cfg);
    INFO("step " << t);
    CHECK(rel_error(p, want) < 1e-14);  // double, same math in another order: rounding only
    // float: p ~ 1 rounded to 2^-24 relative at each of the 3 steps.
    CHECK(rel_error(pf.to_vector(), want) < 1e-6);
    if (t == 1) {
      const double lr = cfg.lr;
      // Step 1: mhat = g, vhat = g^2, so p moves by lr g / (|g| + eps) ~ lr sign(g), and not at all for g = 0.
      CHECK(want[0] == Approx(kStart[0] - lr).epsilon(1e-9));
      CHECK(want[1] == Approx(kStart[1] + lr).epsilon(1e-9));
      CHECK(want[2] == kStart[2]);
      CHECK(want[3] == Approx(kStart[3] - lr * 1e-9 / (1e-9 + 1e-8)).epsilon(1e-6));  // eps outside the sqrt
    }
  }
}

TEST_CASE("adam rejects buffers of different sizes and t < 1", "[adam][errors]") {
  Tensor p({10}), g({10}), m({10}), v({9});
  AdamConfig cfg;
  CHECK_THROWS_WITH(adam_step(p, g, m, v, cfg, 1), Catch::Contains("v 9") && Catch::Contains("p 10"));
  Tensor v10({2, 5});
  CHECK_THROWS_WITH(adam_step(p, g, m, v10, cfg, 0), Catch::Contains("t = 0"));
  cfg.beta1 = 1.0f;
  CHECK_THROWS_WITH(adam_step(p, g, m, v10, cfg, 1), Catch::Contains("beta1"));
}
