// instance_norm2d on the CPU: the normalised output's mean and variance per image and channel, and
// the shape errors of the tensor-level entry points (1x1 images included). The finite-difference
// gradients of the double reference (with and without affine, 1x1 images included) and the float
// entry points against it are op cases in tests/op_cases_norm.cpp, run by test_ops.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/instance_norm2d.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
const double kEps = 1e-5;

// x in [-1, 1) plus an offset per (n, c) in [-2, 2).
std::vector<double> activations(const NormGeom& g, uint64_t seed) {
  std::vector<double> x = random_values(g.size(), seed);
  std::vector<double> offset = random_values(int64_t(g.n) * g.c, seed + 1, -2.0, 2.0);
  for (int64_t i = 0; i < g.size(); ++i) x[i] += offset[i / g.hw()];
  return x;
}
}  // namespace

TEST_CASE("instance_norm output has mean 0 and variance 1 per image and channel before the affine", "[instance_norm]") {
  // With affine the mean of (n, c) is beta_c and the biased variance gamma_c^2 * var / (var + eps).
  const NormGeom g{3, 4, 5, 6};
  std::vector<double> x = activations(g, 61), gamma = random_values(g.c, 62, 0.5, 1.5), beta = random_values(g.c, 63);
  std::vector<double> y(g.size()), save_mean(size_t(g.n) * g.c), save_invstd(size_t(g.n) * g.c);
  ref::instance_norm_forward<double>(g, x.data(), gamma.data(), beta.data(), kEps, y.data(), save_mean.data(),
                                     save_invstd.data());
  for (int n = 0; n < g.n; ++n)
    for (int c = 0; c < g.c; ++c) {
      const double* xs = &x[(n * g.c + c) * g.hw()];
      const double* ys = &y[(n * g.c + c) * g.hw()];
      double sum = 0, sq = 0, xsum = 0, xsq = 0;
      for (int64_t i = 0; i < g.hw(); ++i) sum += ys[i], xsum += xs[i];
      for (int64_t i = 0; i < g.hw(); ++i) {
        sq += std::pow(ys[i] - sum / g.hw(), 2);
        xsq += std::pow(xs[i] - xsum / g.hw(), 2);
      }
      const double var_x = xsq / g.hw();
      INFO("image " << n << " channel " << c);
      CHECK(std::abs(sum / g.hw() - beta[c]) < 1e-12);  // double rounding over 30 values of order 1
      CHECK(std::abs(sq / g.hw() - gamma[c] * gamma[c] * var_x / (var_x + kEps)) < 1e-12);
      CHECK(std::abs(save_mean[n * g.c + c] - xsum / g.hw()) < 1e-12);
    }
}

TEST_CASE("instance_norm rejects bad shapes with clear errors", "[instance_norm][errors]") {
  Tensor x = Tensor::zeros({2, 3, 4, 4}), y({2, 3, 4, 4}), mean({2, 3}), invstd({2, 3}), dx({2, 3, 4, 4});
  Tensor gamma4 = Tensor::full({4}, 1.0f), per_channel({3});
  CHECK_THROWS_WITH(instance_norm2d_forward(x, &gamma4, nullptr, 1e-5f, y, mean, invstd),
                    Catch::Contains("gamma") && Catch::Contains("[4]") && Catch::Contains("[3]"));
  // The saves are per image and channel, [N, C], not per channel.
  CHECK_THROWS_WITH(instance_norm2d_forward(x, nullptr, nullptr, 1e-5f, y, per_channel, invstd),
                    Catch::Contains("save_mean") && Catch::Contains("[3]") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(instance_norm2d_backward(x, x, nullptr, mean, per_channel, dx, nullptr, nullptr),
                    Catch::Contains("save_invstd"));
  CHECK_THROWS_WITH(instance_norm2d_backward(x, x, nullptr, mean, invstd, dx, nullptr, &gamma4),
                    Catch::Contains("dbeta"));
  Tensor dy_wrong({2, 3, 4, 5});
  CHECK_THROWS_WITH(instance_norm2d_backward(dy_wrong, x, nullptr, mean, invstd, dx, nullptr, nullptr),
                    Catch::Contains("dy") && Catch::Contains("[2, 3, 4, 5]"));
  // 1x1 images are fine for instance norm (variance 0): y = beta.
  Tensor x1 = Tensor::from_vector({2, 3, 1, 1}, {1, 2, 3, 4, 5, 6}), y1({2, 3, 1, 1});
  Tensor beta = Tensor::from_vector({3}, {0.5f, -1, 2});
  instance_norm2d_forward(x1, nullptr, &beta, 1e-5f, y1, mean, invstd);
  CHECK(y1.to_vector() == std::vector<float>{0.5f, -1, 2, 0.5f, -1, 2});
}
