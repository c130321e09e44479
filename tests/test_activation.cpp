// Activations on the CPU: known values, relu's derivative at 0, in-place use, and the shape checks.
// The finite-difference gradients of the double reference (leaky_relu, relu, tanh) and the float
// entry points against it are op cases in tests/op_cases_pointwise.cpp, run by test_ops.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernels/activation.h"

using namespace p2p;

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
