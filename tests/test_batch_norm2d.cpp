// batch_norm2d on the CPU: the running-statistics update against a hand computation, the normalised
// output's per-channel mean and variance, and the shape errors of the tensor-level entry points. The
// finite-difference gradients of the double reference (training and eval, with and without affine)
// and the float entry points against it are op cases in tests/op_cases_norm.cpp, run by test_ops.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/batch_norm2d.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
const double kEps = 1e-5, kMomentum = 0.1;

// x in [-1, 1) plus a per-channel offset in [-2, 2): realistic activations have non-zero means.
std::vector<double> activations(const NormGeom& g, uint64_t seed) {
  std::vector<double> x = random_values(g.size(), seed);
  std::vector<double> offset = random_values(g.c, seed + 1, -2.0, 2.0);
  for (int64_t i = 0; i < g.size(); ++i) x[i] += offset[(i / g.hw()) % g.c];
  return x;
}
}  // namespace

TEST_CASE("batch_norm running statistics follow momentum 0.1 and the unbiased variance", "[batch_norm]") {
  // x [2, 2, 1, 3]. Channel 0 holds 1..6: mean 3.5, sum of squared deviations 17.5, so the biased
  // variance is 17.5/6 and the unbiased 17.5/5 = 3.5. Channel 1 holds 0,0,0,2,2,2: mean 1, biased
  // variance 1, unbiased 6/5 = 1.2. From PyTorch's initial running_mean 0 and running_var 1:
  //   running_mean = 0.9 * 0 + 0.1 * mean     = {0.35, 0.1}
  //   running_var  = 0.9 * 1 + 0.1 * unbiased = {1.25, 1.02}
  Tensor x = Tensor::from_vector({2, 2, 1, 3}, {1, 2, 3, 0, 0, 0, 4, 5, 6, 2, 2, 2});
  Tensor y({2, 2, 1, 3}), mean({2}), invstd({2});
  Tensor running_mean = Tensor::zeros({2}), running_var = Tensor::full({2}, 1.0f);
  batch_norm2d_forward_train(x, nullptr, nullptr, 1e-5f, 0.1f, y, mean, invstd, &running_mean, &running_var);
  const double tol = 1e-6;  // float arithmetic on numbers of order 1
  CHECK(rel_error(running_mean.to_vector(), {0.35, 0.1}) < tol);
  CHECK(rel_error(running_var.to_vector(), {1.25, 1.02}) < tol);
  CHECK(rel_error(mean.to_vector(), {3.5, 1.0}) < tol);
  CHECK(rel_error(invstd.to_vector(), {1 / std::sqrt(17.5 / 6 + 1e-5), 1 / std::sqrt(1 + 1e-5)}) < tol);
}

TEST_CASE("batch_norm train output has per-channel mean 0 and variance 1 before the affine", "[batch_norm]") {
  // With affine the channel mean is beta_c and the biased variance gamma_c^2 * var / (var + eps).
  const NormGeom g{3, 4, 5, 6};
  const int64_t m = int64_t(g.n) * g.hw();
  std::vector<double> x = activations(g, 31), gamma = random_values(g.c, 32, 0.5, 1.5), beta = random_values(g.c, 33);
  std::vector<double> y(g.size()), save_mean(g.c), save_invstd(g.c);
  ref::batch_norm_forward_train<double>(g, x.data(), gamma.data(), beta.data(), kEps, kMomentum, y.data(),
                                        save_mean.data(), save_invstd.data(), nullptr, nullptr);
  for (int c = 0; c < g.c; ++c) {
    double sum = 0, sq = 0, xsum = 0, xsq = 0;
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) {
        sum += y[(n * g.c + c) * g.hw() + i];
        xsum += x[(n * g.c + c) * g.hw() + i];
      }
    for (int n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.hw(); ++i) {
        sq += std::pow(y[(n * g.c + c) * g.hw() + i] - sum / m, 2);
        xsq += std::pow(x[(n * g.c + c) * g.hw() + i] - xsum / m, 2);
      }
    const double var_x = xsq / m;
    INFO("channel " << c);
    CHECK(std::abs(sum / m - beta[c]) < 1e-12);  // double rounding over 90 values of order 1
    CHECK(std::abs(sq / m - gamma[c] * gamma[c] * var_x / (var_x + kEps)) < 1e-12);
  }
}

TEST_CASE("batch_norm rejects bad shapes with clear errors", "[batch_norm][errors]") {
  Tensor x = Tensor::zeros({2, 3, 4, 4}), y({2, 3, 4, 4}), mean = Tensor::zeros({3}), invstd({3}), dx({2, 3, 4, 4});
  Tensor gamma4 = Tensor::full({4}, 1.0f), saves2({2});
  CHECK_THROWS_WITH(batch_norm2d_forward_train(x, &gamma4, nullptr, 1e-5f, 0.1f, y, mean, invstd, nullptr, nullptr),
                    Catch::Contains("gamma") && Catch::Contains("[4]") && Catch::Contains("[3]"));
  CHECK_THROWS_WITH(batch_norm2d_forward_train(x, nullptr, nullptr, 1e-5f, 0.1f, y, saves2, invstd, nullptr, nullptr),
                    Catch::Contains("save_mean") && Catch::Contains("[2]"));
  CHECK_THROWS_WITH(batch_norm2d_backward_train(x, x, nullptr, mean, saves2, dx, nullptr, nullptr),
                    Catch::Contains("save_invstd"));
  CHECK_THROWS_WITH(batch_norm2d_forward_eval(x, nullptr, nullptr, mean, saves2, 1e-5f, y),
                    Catch::Contains("running_var"));
  CHECK_THROWS_WITH(batch_norm2d_backward_eval(x, x, nullptr, mean, invstd, 1e-5f, dx, &gamma4, nullptr),
                    Catch::Contains("dgamma"));
  Tensor y_wrong({2, 3, 4, 5});
  CHECK_THROWS_WITH(
      batch_norm2d_forward_train(x, nullptr, nullptr, 1e-5f, 0.1f, y_wrong, mean, invstd, nullptr, nullptr),
      Catch::Contains("y") && Catch::Contains("[2, 3, 4, 5]"));
  Tensor x3 = Tensor::zeros({3, 4, 4});
  CHECK_THROWS_WITH(batch_norm2d_forward_eval(x3, nullptr, nullptr, mean, invstd, 1e-5f, y), Catch::Contains("rank"));
  // One value per channel: no batch statistics in training (PyTorch raises too); eval is fine.
  Tensor x1 = Tensor::zeros({1, 3, 1, 1}), y1({1, 3, 1, 1});
  CHECK_THROWS_WITH(batch_norm2d_forward_train(x1, nullptr, nullptr, 1e-5f, 0.1f, y1, mean, invstd, nullptr, nullptr),
                    Catch::Contains("more than 1 value per channel"));
  Tensor ones = Tensor::full({3}, 1.0f);
  CHECK_NOTHROW(batch_norm2d_forward_eval(x1, nullptr, nullptr, mean, ones, 1e-5f, y1));
}
