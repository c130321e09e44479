// Dropout on the CPU: the mask's statistics and reproducibility, the exact scaling, the backward's
// mask against the forward's, p = 0, and the checks on p. The finite-difference gradient of the
// double reference (linear in x for a fixed seed and offset) and the float entry points against it
// are op cases in tests/op_cases_pointwise.cpp, run by test_ops.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "kernels/dropout.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
std::vector<float> dropped(const Tensor& x, float p, uint64_t seed, uint64_t offset) {
  Tensor y(x.shape());
  dropout_forward(x, p, seed, offset, y);
  return y.to_vector();
}
}  // namespace

TEST_CASE("dropout keeps 1 - p of the elements, scaled exactly", "[dropout]") {
  const int64_t n = 100000;
  const float p = 0.3f;
  // Every |x| >= 0.1, so a zero in y means a dropped element.
  Tensor x = tensor_of({n}, random_away_from_zero(n, 22, 0.1), Device::CPU);
  const std::vector<float> xv = x.to_vector(), y = dropped(x, p, 5, 9);
  const float scale = 1.0f / (1.0f - p);
  int64_t kept = 0, wrong = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (y[i] != 0.0f) {
      ++kept;
      wrong += y[i] != xv[i] * scale;
    }
  }
  CHECK(wrong == 0);
  // The kept count is Binomial(n, 1 - p): within 5 standard deviations.
  const double sigma = std::sqrt(n * double(p) * (1.0 - p));
  CHECK(std::abs(kept - n * (1.0 - p)) < 5.0 * sigma);
}

TEST_CASE("dropout masks: same seed and offset repeat, other offsets and seeds differ", "[dropout]") {
  const int64_t n = 100000;
  const float p = 0.5f;
  Tensor x = Tensor::full({n}, 1.0f);
  const std::vector<float> a = dropped(x, p, 5, 9), b = dropped(x, p, 5, 9);
  CHECK(std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
  for (const std::vector<float>& other : {dropped(x, p, 5, 10), dropped(x, p, 6, 9)}) {
    // Independent masks disagree on a fraction 2 p (1 - p) = 0.5 of the elements.
    int64_t differ = 0;
    for (int64_t i = 0; i < n; ++i) differ += (a[i] == 0.0f) != (other[i] == 0.0f);
    CHECK(std::abs(differ - 0.5 * n) < 5.0 * std::sqrt(n * 0.25));
  }
}

TEST_CASE("dropout backward drops exactly the forward's elements, and p = 0 is the identity", "[dropout]") {
  const int64_t n = 4099;
  Tensor x = tensor_of({n}, random_away_from_zero(n, 23, 0.1), Device::CPU);
  const std::vector<float> y = dropped(x, 0.25f, 3, 4);
  Tensor dy = tensor_of({n}, random_away_from_zero(n, 24, 0.1), Device::CPU), dx({n});
  dropout_backward(dy, 0.25f, 3, 4, dx);
  const std::vector<float> dxv = dx.to_vector(), dyv = dy.to_vector();
  int64_t mismatched = 0;
  for (int64_t i = 0; i < n; ++i)
    mismatched += (y[i] == 0.0f) != (dxv[i] == 0.0f) || (dxv[i] != 0.0f && dxv[i] != dyv[i] * (1.0f / 0.75f));
  CHECK(mismatched == 0);
  CHECK(dropped(x, 0.0f, 3, 4) == x.to_vector());
}

TEST_CASE("dropout rejects p outside 0 <= p < 1 and mismatched shapes", "[dropout][errors]") {
  Tensor x({4, 5}), y({4, 5});
  for (float p : {1.0f, -0.1f, 1.5f, std::nanf("")})
    CHECK_THROWS_WITH(dropout_forward(x, p, 1, 0, y), Catch::Contains("outside [0, 1)"));
  CHECK_THROWS_WITH(dropout_backward(x, 1.0f, 1, 0, y), Catch::Contains("dropout_backward: p = 1"));
  Tensor z({5, 4});
  CHECK_THROWS_WITH(dropout_forward(x, 0.5f, 1, 0, z), Catch::Contains("[5, 4]") && Catch::Contains("[4, 5]"));
}
