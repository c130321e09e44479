// Losses on the CPU reference: finite-difference gradients in double (the backward's scale is the
// weight of the loss, here the random output weight the harness applies), known values, the stable
// BCE at |x| = 100, sign(0) = 0 for L1, and the shape checks.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/loss.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
constexpr int64_t kN = 2 * 1 * 5 * 7;  // a batch of 2 PatchGAN-like outputs [2, 1, 5, 7]

// The loss is one number l; the harness weights it by u = dout[0], so the backward's scale is u.
GradCase loss_case(std::string name, std::vector<GradInput> inputs,
                   std::function<double(const std::vector<GradInput>&)> loss,
                   std::function<void(const std::vector<GradInput>&, double, double*)> backward) {
  GradCase c;
  c.name = std::move(name);
  c.inputs = std::move(inputs);
  c.forward = [loss](const std::vector<GradInput>& in, std::vector<double>& out) { out = {loss(in)}; };
  c.backward = [backward](std::vector<GradInput>& in, const std::vector<double>& dout) {
    backward(in, dout[0], in[0].grad.data());
  };
  return c;
}
}  // namespace

TEST_CASE("bce_with_logits gradients, targets 0 and 1, large |x|", "[loss][gradcheck]") {
  std::vector<double> x = random_values(kN, 41, -6.0, 6.0);
  // Saturated logits: exp(|x|) would overflow a naive log(1 + exp(x)) in float; the stable form is exact.
  x[0] = 40.0, x[1] = -40.0, x[2] = 100.0, x[3] = -100.0;
  for (double t : {0.0, 1.0}) {
    GradCase c = loss_case(
        "bce_with_logits target " + std::to_string(t) + " [2, 1, 5, 7]", {{"x", x}},
        [t](const std::vector<GradInput>& in) {
          double l;
          ref::bce_with_logits_forward<double>(kN, in[0].value.data(), t, &l);
          return l;
        },
        [t](const std::vector<GradInput>& in, double scale, double* dx) {
          ref::bce_with_logits_backward<double>(kN, in[0].value.data(), t, scale, dx);
        });
    c.tol = 1e-6;
    c.tol_reason = "smooth; rounding of an O(10) loss over h = 1e-6 is ~1e-9 against gradients of O(1 / n)";
    GradReport r = check_gradients(c);
    INFO(r.text);
    CHECK(r.ok);
  }
}

TEST_CASE("mse gradients", "[loss][gradcheck]") {
  for (double t : {0.0, 1.0}) {
    GradCase c = loss_case(
        "mse target " + std::to_string(t) + " [2, 1, 5, 7]", {{"x", random_values(kN, 42, -2.0, 2.0)}},
        [t](const std::vector<GradInput>& in) {
          double l;
          ref::mse_forward<double>(kN, in[0].value.data(), t, &l);
          return l;
        },
        [t](const std::vector<GradInput>& in, double scale, double* dx) {
          ref::mse_backward<double>(kN, in[0].value.data(), t, scale, dx);
        });
    c.tol = 1e-7;
    c.tol_reason = "quadratic: central differences exact up to rounding (~1e-10 / h relative)";
    GradReport r = check_gradients(c);
    INFO(r.text);
    CHECK(r.ok);
  }
}

TEST_CASE("l1 gradients (x - y kept away from the kink)", "[loss][gradcheck]") {
  const int64_t n = 3 * 3 * 5 * 7;  // an image-like [3, 3, 5, 7]
  std::vector<double> y = random_values(n, 43), d = random_away_from_zero(n, 44, 0.05), x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = y[i] + d[i];
  GradInput target{"y", y, false};
  GradCase c = loss_case(
      "l1 [3, 3, 5, 7]", {{"x", x}, target},
      [n](const std::vector<GradInput>& in) {
        double l;
        ref::l1_forward<double>(n, in[0].value.data(), in[1].value.data(), &l);
        return l;
      },
      [n](const std::vector<GradInput>& in, double scale, double* dx) {
        ref::l1_backward<double>(n, in[0].value.data(), in[1].value.data(), scale, dx);
      });
  c.tol = 1e-7;
  c.tol_reason = "piecewise linear, |x - y| >= 0.05 > h: exact up to rounding";
  GradReport r = check_gradients(c);
  INFO(r.text);
  CHECK(r.ok);
}

TEST_CASE("losses: known values, sign(0) = 0", "[loss]") {
  Tensor x = Tensor::from_vector({3}, {1, 2, 3}), loss({1}), dx({3});
  mse_forward(x, 1.0f, loss);
  CHECK(loss.to_vector()[0] == Approx(5.0 / 3.0).epsilon(1e-7));  // (0 + 1 + 4) / 3
  Tensor y = Tensor::from_vector({3}, {1, 0, 5});
  l1_forward(x, y, loss);
  CHECK(loss.to_vector()[0] == Approx(4.0 / 3.0).epsilon(1e-7));  // (0 + 2 + 2) / 3
  l1_backward(x, y, 3.0f, dx);
  CHECK(dx.to_vector() == std::vector<float>{0.0f, 1.0f, -1.0f});  // 3 * sign(x - y) / 3
  Tensor zero = Tensor::from_vector({2}, {0, 0});
  bce_with_logits_forward(zero, 1.0f, loss);
  CHECK(loss.to_vector()[0] == Approx(std::log(2.0)).epsilon(1e-7));
}

TEST_CASE("bce_with_logits is stable at |x| = 100 in float", "[loss]") {
  Tensor x = Tensor::from_vector({2}, {100.0f, -100.0f}), loss({1}), dx({2});
  for (float t : {0.0f, 1.0f}) {
    // One term is log(1 + e^-100) ~ 3.7e-44, the other 100 + that: the mean is 50.
    bce_with_logits_forward(x, t, loss);
    CHECK(std::isfinite(loss.to_vector()[0]));
    CHECK(loss.to_vector()[0] == Approx(50.0).epsilon(1e-7));
    bce_with_logits_backward(x, t, 2.0f, dx);  // 2 (sigmoid(x) - t) / 2
    const std::vector<float> g = dx.to_vector();
    CHECK(g[0] == Approx(1.0 - t).margin(1e-30));
    CHECK(g[1] == Approx(0.0 - t).margin(1e-30));
  }
  Tensor one = Tensor::from_vector({1}, {100.0f});
  bce_with_logits_forward(one, 1.0f, loss);  // log(1 + e^-100) ~ 3.7e-44: finite, tiny, >= 0
  CHECK(loss.to_vector()[0] >= 0.0f);
  CHECK(loss.to_vector()[0] < 1e-40f);
}

TEST_CASE("losses reject mismatched shapes and a loss that is not [1]", "[loss][errors]") {
  Tensor x({2, 3}), y({3, 2}), loss({1}), dx({2, 3});
  CHECK_THROWS_WITH(l1_forward(x, y, loss), Catch::Contains("x [2, 3]") && Catch::Contains("y [3, 2]"));
  CHECK_THROWS_WITH(l1_backward(x, y, 1.0f, dx), Catch::Contains("x [2, 3]") && Catch::Contains("y [3, 2]"));
  Tensor wide({2}), deep({1, 1});
  CHECK_THROWS_WITH(mse_forward(x, 1.0f, wide), Catch::Contains("loss") && Catch::Contains("[2]"));
  CHECK_THROWS_WITH(bce_with_logits_forward(x, 1.0f, deep), Catch::Contains("loss") && Catch::Contains("[1, 1]"));
  CHECK_THROWS_WITH(bce_with_logits_backward(x, 1.0f, 1.0f, loss), Catch::Contains("dx"));
  CHECK_THROWS_WITH(mse_forward(Tensor({0}), 1.0f, loss), Catch::Contains("empty"));
}
