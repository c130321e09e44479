// Losses on the CPU: known values, sign(0) = 0 for L1, the stable BCE at |x| = 100 in float, and
// the shape checks. The finite-difference gradients of the double reference (bce targets 0 and 1,
// saturated logits included, mse, l1 away from the kink) and the float entry points against it are
// op cases in tests/op_cases_pointwise.cpp, run by test_ops.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/loss.h"

using namespace p2p;

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
