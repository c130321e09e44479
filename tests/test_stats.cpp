// The training-health statistics' CPU reference (kernels/stats.h) against values worked by hand,
// the update norm against the change Adam actually makes, and bad input. The op cases
// (tests/op_cases_stats.cpp) check the float entry points and the CUDA kernels against this reference.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "kernels/stats.h"

using namespace p2p;

namespace {
std::vector<float> run(void (*op)(const Tensor&, Tensor&), const std::vector<float>& x, int64_t outputs) {
  Tensor out = Tensor::full({outputs}, NAN);
  op(Tensor::from_vector({int64_t(x.size())}, x), out);
  return out.to_vector();
}
}  // namespace

TEST_CASE("stats: the reference on values worked by hand", "[stats]") {
  CHECK(run(l2_norm, {3, -4}, 1)[0] == 5.0f);
  CHECK(run(l2_norm, {-2}, 1)[0] == 2.0f);
  // mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
  std::vector<float> m = run(moments, {1, 2, 3, 4}, 2);
  CHECK(m[0] == 2.5f);
  CHECK(m[1] == float(std::sqrt(1.25)));
  m = run(moments, {7}, 2);
  CHECK(m[0] == 7.0f);
  CHECK(m[1] == 0.0f);
  // The same spread 1e4 away from 0 (exact in float): a one-pass float sum of squares would lose it.
  m = run(moments, {10001, 10002, 10003, 10004}, 2);
  CHECK(m[0] == 10002.5f);
  CHECK(m[1] == float(std::sqrt(1.25)));
  // sigmoid(0) = 1/2; sigmoid(-x) = 1 - sigmoid(x); saturating logits neither overflow nor give NaN.
  CHECK(run(mean_sigmoid, {0}, 1)[0] == 0.5f);
  CHECK(run(mean_sigmoid, {-3, 3}, 1)[0] == Approx(0.5).epsilon(1e-7));
  CHECK(run(mean_sigmoid, {-1000, 1000, 1000, 1000}, 1)[0] == 0.75f);
  CHECK(run(mean_sigmoid, {std::log(3.0f)}, 1)[0] == Approx(0.75).epsilon(1e-7));  // 3 / (1 + 3)
}

TEST_CASE("stats: adam_update_norm is the norm of the step adam_step applied", "[stats]") {
  // From p = 0 the new p is exactly -u, so the norm of p after the step is the update's norm, summed
  // in the same order: the same bits, not just close.
  const int64_t n = 1000;
  std::vector<float> g(n), m0(n), v0(n);
  for (int64_t i = 0; i < n; ++i) {
    g[size_t(i)] = std::sin(0.37f * float(i));
    m0[size_t(i)] = 0.1f * std::cos(0.11f * float(i));
    v0[size_t(i)] = 0.01f * (1.0f + std::sin(0.05f * float(i)));
  }
  for (int64_t t : {int64_t(1), int64_t(7)}) {
    Tensor p = Tensor::zeros({n}), gt = Tensor::from_vector({n}, g);
    Tensor m = Tensor::from_vector({n}, m0), v = Tensor::from_vector({n}, v0);
    const AdamConfig cfg{2e-4f, 0.5f, 0.999f, 1e-8f};
    adam_step(p, gt, m, v, cfg, t);
    Tensor norm_p = Tensor::full({1}, NAN), norm_u = Tensor::full({1}, NAN);
    l2_norm(p, norm_p);
    adam_update_norm(m, v, cfg, t, norm_u);
    INFO("t = " << t);
    CHECK(norm_u.to_vector()[0] > 0.0f);
    CHECK(norm_u.to_vector()[0] == norm_p.to_vector()[0]);
  }
}

TEST_CASE("stats: bad input is a clear error", "[stats]") {
  Tensor empty = Tensor::zeros({0}), x = Tensor::zeros({5}), one = Tensor::zeros({1}), two = Tensor::zeros({2});
  CHECK_THROWS_WITH(l2_norm(empty, one), Catch::Contains("l2_norm") && Catch::Contains("empty"));
  CHECK_THROWS_WITH(moments(x, one), Catch::Contains("moments: out"));
  CHECK_THROWS_WITH(mean_sigmoid(x, two), Catch::Contains("mean_sigmoid: out"));
  CHECK_THROWS_WITH(adam_update_norm(x, two, AdamConfig{}, 1, one), Catch::Contains("m has 5 elements, v 2"));
  CHECK_THROWS_WITH(adam_update_norm(x, x, AdamConfig{}, 0, one), Catch::Contains("must be >= 1"));
}
