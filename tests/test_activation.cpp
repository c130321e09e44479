// Activations on the CPU reference: finite-difference gradients in double (inputs kept away from
// the kink at 0 for the ReLUs), known values, in-place use, and the shape checks.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/activation.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
// n = 2 * 3 * 5 * 7: batch 2, odd channel and spatial sizes (pointwise ops only see n).
constexpr int64_t kN = 2 * 3 * 5 * 7;

GradCase leaky_relu_case(double slope) {
  GradCase c;
  c.name = "leaky_relu slope " + std::to_string(slope) + " [2, 3, 5, 7]";
  // |x| >= 0.05 > h: no probe crosses the kink, where the function is not differentiable.
  c.inputs = {{"x", random_away_from_zero(kN, 11, 0.05)}};
  c.forward = [slope](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(kN);
    ref::leaky_relu_forward<double>(kN, in[0].value.data(), slope, y.data());
  };
  c.backward = [slope](std::vector<GradInput>& in, const std::vector<double>& dy) {
    ref::leaky_relu_backward<double>(kN, in[0].value.data(), dy.data(), slope, in[0].grad.data());
  };
  c.tol = 1e-8;
  c.tol_reason = "piecewise linear away from the kink: central differences exact up to rounding";
  return c;
}
}  // namespace

TEST_CASE("leaky_relu and relu gradients", "[activation][gradcheck]") {
  for (double slope : {0.2, 0.0}) {
    GradReport r = check_gradients(leaky_relu_case(slope));
    INFO(r.text);
    CHECK(r.ok);
  }
}

TEST_CASE("tanh gradients (from the saved output)", "[activation][gradcheck]") {
  GradCase c;
  c.name = "tanh [2, 3, 5, 7]";
  c.inputs = {{"x", random_values(kN, 12, -3.0, 3.0)}};
  c.forward = [](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(kN);
    ref::tanh_forward<double>(kN, in[0].value.data(), y.data());
  };
  c.backward = [](std::vector<GradInput>& in, const std::vector<double>& dy) {
    std::vector<double> y(kN);
    ref::tanh_forward<double>(kN, in[0].value.data(), y.data());
    ref::tanh_backward<double>(kN, y.data(), dy.data(), in[0].grad.data());
  };
  c.tol = 1e-7;
  c.tol_reason = "smooth; central-difference error O(h^2) plus rounding ~1e-10 / h";
  GradReport r = check_gradients(c);
  INFO(r.text);
  CHECK(r.ok);
}

TEST_CASE("activations: known values, relu's derivative at 0, in place", "[activation]") {
  Tensor x = Tensor::from_vector({5}, {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f});
  Tensor y({5});
  leaky_relu_forward(x, 0.2f, y);
  CHECK(y.to_vector() == std::vector<float>{-0.4f, -0.1f, 0.0f, 0.5f, 2.0f});
  relu_forward(x, y);
  CHECK(y.to_vector() == std::vector<float>{0.0f, 0.0f, 0.0f, 0.5f, 2.0f});
  Tensor dy = Tensor::full({5}, 3.0f), dx({5});
  relu_backward(x, dy, dx);
  CHECK(dx.to_vector() == std::vector<float>{0.0f, 0.0f, 0.0f, 3.0f, 3.0f});  // d relu(0) taken as 0
  tanh_forward(x, y);
  CHECK(y.to_vector()[4] == std::tanh(2.0f));

  Tensor z = x.clone();  // in place: y == x
  leaky_relu_forward(z, 0.2f, z);
  CHECK(z.to_vector() == std::vector<float>{-0.4f, -0.1f, 0.0f, 0.5f, 2.0f});
  Tensor g = dy.clone();  // in place: dx == dy
  leaky_relu_backward(x, g, 0.2f, g);
  CHECK(g.to_vector() == std::vector<float>{0.6f, 0.6f, 0.6f, 3.0f, 3.0f});
}

TEST_CASE("activations reject mismatched shapes", "[activation][errors]") {
  Tensor x({2, 3}), y({3, 2}), dy({2, 3}), dx({6});
  CHECK_THROWS_WITH(relu_forward(x, y), Catch::Contains("y") && Catch::Contains("[3, 2]") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(tanh_backward(x, dy, dx), Catch::Contains("dx") && Catch::Contains("[6]"));
  CHECK_THROWS_WITH(leaky_relu_backward(x, Tensor({5}), 0.2f, dx), Catch::Contains("dy"));
}
