// batch_norm2d on the CPU: finite-difference gradients of the double reference (training with and
// without affine, eval), the running-statistics update against a hand computation, the normalised
// output's per-channel mean and variance, the float reference against the double one, and the
// shape errors of the tensor-level entry points.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/batch_norm2d.h"
#include "tests/gradcheck.h"
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

// A case over x, and gamma and beta when affine; the parameter gradients accumulate (+=).
GradCase train_case(const NormGeom& g, bool affine) {
  GradCase c;
  c.name = "batch_norm train " + shape_str({g.n, g.c, g.h, g.w}) + (affine ? " affine" : "");
  c.inputs = {{"x", activations(g, 11)}};
  if (affine)
    c.inputs.insert(c.inputs.end(), {{"gamma", random_values(g.c, 12, 0.5, 1.5), true, true},
                                     {"beta", random_values(g.c, 13), true, true}});
  auto forward = [g, affine](const std::vector<GradInput>& in, std::vector<double>& y, std::vector<double>& mean,
                             std::vector<double>& invstd) {
    y.resize(g.size());
    mean.resize(g.c);
    invstd.resize(g.c);
    ref::batch_norm_forward_train<double>(g, in[0].value.data(), affine ? in[1].value.data() : nullptr,
                                          affine ? in[2].value.data() : nullptr, kEps, kMomentum, y.data(), mean.data(),
                                          invstd.data(), nullptr, nullptr);
  };
  c.forward = [forward](const std::vector<GradInput>& in, std::vector<double>& y) {
    std::vector<double> mean, invstd;
    forward(in, y, mean, invstd);
  };
  c.backward = [g, affine, forward](std::vector<GradInput>& in, const std::vector<double>& dy) {
    std::vector<double> y, mean, invstd;
    forward(in, y, mean, invstd);
    ref::batch_norm_backward_train<double>(g, dy.data(), in[0].value.data(), affine ? in[1].value.data() : nullptr,
                                           mean.data(), invstd.data(), in[0].grad.data(),
                                           affine ? in[1].grad.data() : nullptr, affine ? in[2].grad.data() : nullptr);
  };
  c.tol = 1e-6;
  c.tol_reason = "smooth in double: O(h^2) truncation and ~1e-10 rounding in the differences";
  return c;
}

// Eval: x, gamma, beta differentiable; the running statistics are fixed data.
GradCase eval_case(const NormGeom& g) {
  GradCase c;
  c.name = "batch_norm eval " + shape_str({g.n, g.c, g.h, g.w});
  c.inputs = {{"x", activations(g, 21)},
              {"gamma", random_values(g.c, 22, 0.5, 1.5), true, true},
              {"beta", random_values(g.c, 23), true, true},
              {"running_mean", random_values(g.c, 24), false},
              {"running_var", random_values(g.c, 25, 0.2, 2.0), false}};
  c.forward = [g](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(g.size());
    ref::batch_norm_forward_eval<double>(g, in[0].value.data(), in[1].value.data(), in[2].value.data(),
                                         in[3].value.data(), in[4].value.data(), kEps, y.data());
  };
  c.backward = [g](std::vector<GradInput>& in, const std::vector<double>& dy) {
    ref::batch_norm_backward_eval<double>(g, dy.data(), in[0].value.data(), in[1].value.data(), in[3].value.data(),
                                          in[4].value.data(), kEps, in[0].grad.data(), in[1].grad.data(),
                                          in[2].grad.data());
  };
  c.tol = 1e-8;
  c.tol_reason = "linear in x, gamma and beta: central differences exact up to rounding";
  return c;
}

// Batch 1 and > 1, odd sizes, and M = N*H*W = 2 at 1x1 (the smallest training batch norm allows).
const NormGeom kShapes[] = {{1, 3, 5, 7}, {3, 2, 3, 5}, {2, 4, 1, 1}, {4, 3, 2, 1}};
}  // namespace

TEST_CASE("batch_norm train gradients", "[batch_norm][gradcheck]") {
  for (const NormGeom& g : kShapes)
    for (bool affine : {true, false}) {
      GradReport r = check_gradients(train_case(g, affine));
      INFO(r.text);
      CHECK(r.ok);
    }
}

TEST_CASE("batch_norm eval gradients", "[batch_norm][gradcheck]") {
  for (const NormGeom& g : kShapes) {
    GradReport r = check_gradients(eval_case(g));
    INFO(r.text);
    CHECK(r.ok);
  }
}

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

TEST_CASE("batch_norm float reference agrees with the double one", "[batch_norm]") {
  const NormGeom g{2, 3, 7, 9};
  std::vector<double> x = activations(g, 41), dy = random_values(g.size(), 42),
                      gamma = random_values(g.c, 43, 0.5, 1.5), beta = random_values(g.c, 44);
  std::vector<double> y(g.size()), mean(g.c), invstd(g.c), dx(g.size()), dgamma(g.c, 0.0), dbeta(g.c, 0.0);
  ref::batch_norm_forward_train<double>(g, x.data(), gamma.data(), beta.data(), kEps, kMomentum, y.data(), mean.data(),
                                        invstd.data(), nullptr, nullptr);
  ref::batch_norm_backward_train<double>(g, dy.data(), x.data(), gamma.data(), mean.data(), invstd.data(), dx.data(),
                                         dgamma.data(), dbeta.data());
  const Shape shape{g.n, g.c, g.h, g.w};
  Tensor tx = tensor_of(shape, x, Device::CPU), tdy = tensor_of(shape, dy, Device::CPU);
  Tensor tgamma = tensor_of({g.c}, gamma, Device::CPU), tbeta = tensor_of({g.c}, beta, Device::CPU);
  Tensor ty = poisoned(shape, Device::CPU), tmean = poisoned({g.c}, Device::CPU),
         tinvstd = poisoned({g.c}, Device::CPU);
  Tensor tdx = poisoned(shape, Device::CPU), tdgamma = Tensor::zeros({g.c}), tdbeta = Tensor::zeros({g.c});
  batch_norm2d_forward_train(tx, &tgamma, &tbeta, 1e-5f, 0.1f, ty, tmean, tinvstd, nullptr, nullptr);
  batch_norm2d_backward_train(tdy, tx, &tgamma, tmean, tinvstd, tdx, &tdgamma, &tdbeta);
  const double tol = 1e-5;  // float inputs rounded from the double ones, float arithmetic of depth ~ log M
  CHECK(rel_error(ty.to_vector(), y) < tol);
  CHECK(rel_error(tmean.to_vector(), mean) < tol);
  CHECK(rel_error(tinvstd.to_vector(), invstd) < tol);
  CHECK(rel_error(tdx.to_vector(), dx) < tol);
  CHECK(rel_error(tdgamma.to_vector(), dgamma) < tol);
  CHECK(rel_error(tdbeta.to_vector(), dbeta) < tol);
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
