// Channel concatenation on the CPU: the layout on a small example, a null gradient pointer, and the
// shape checks. The finite-difference gradients of the double reference (both halves) and the float
// entry points against it are op cases in tests/op_cases_pointwise.cpp, run by test_ops.
#include <catch2/catch.hpp>

#include "kernels/concat.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

TEST_CASE("concat layout: a's channels, then b's, per item", "[concat]") {
  Tensor a = Tensor::from_vector({2, 1, 1, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector({2, 2, 1, 2}, {10, 11, 12, 13, 14, 15, 16, 17});
  Tensor y({2, 3, 1, 2});
  concat_forward(a, b, y);
  CHECK(y.to_vector() == std::vector<float>{1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17});
}

TEST_CASE("concat backward with one gradient wanted", "[concat]") {
  Tensor a = tensor_of({2, 3, 2, 3}, random_values(36, 33), Device::CPU);
  Tensor b = tensor_of({2, 1, 2, 3}, random_values(12, 34), Device::CPU);
  Tensor y({2, 4, 2, 3});
  concat_forward(a, b, y);
  Tensor da = poisoned({2, 3, 2, 3}, Device::CPU), db = poisoned({2, 1, 2, 3}, Device::CPU);
  concat_backward(y, &da, nullptr);
  CHECK(da.to_vector() == a.to_vector());
  concat_backward(y, nullptr, &db);  // the split point comes from db's channels
  CHECK(db.to_vector() == b.to_vector());
}

TEST_CASE("concat rejects mismatched shapes", "[concat][errors]") {
  Tensor a({2, 3, 4, 4}), b({2, 1, 4, 5}), y({2, 4, 4, 4});
  CHECK_THROWS_WITH(concat_forward(a, b, y),
                    Catch::Contains("[2, 3, 4, 4]") && Catch::Contains("[2, 1, 4, 5]") && Catch::Contains("N, H or W"));
  Tensor b2({3, 1, 4, 4});
  CHECK_THROWS_WITH(concat_forward(a, b2, y), Catch::Contains("N, H or W"));
  Tensor b3({2, 1, 4, 4}), y_bad({2, 3, 4, 4});
  CHECK_THROWS_WITH(concat_forward(a, b3, y_bad), Catch::Contains("concat_forward: y"));
  Tensor da({2, 5, 4, 4});
  CHECK_THROWS_WITH(concat_backward(y, &da, nullptr), Catch::Contains("fewer channels"));
  CHECK_THROWS_WITH(concat_backward(y, nullptr, nullptr), Catch::Contains("neither da nor db"));
  Tensor da2({2, 3, 4, 4}), db2({2, 2, 4, 4});
  CHECK_THROWS_WITH(concat_backward(y, &da2, &db2), Catch::Contains("concat_backward: db"));
}
