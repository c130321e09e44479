// The runtime: tensors, shape errors, views, the Philox generator and the random fills.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "runtime/check.h"
#include "runtime/philox.h"
#include "runtime/random.h"
#include "runtime/tensor.h"
#include "tests/testing.h"

using namespace p2p;

TEST_CASE("tensor shape, views and copies", "[runtime]") {
  Tensor t = Tensor::from_vector({2, 3, 1, 2}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  CHECK(t.numel() == 12);
  CHECK(t.n() == 2);
  CHECK(t.c() == 3);
  CHECK(t.h() == 1);
  CHECK(t.w() == 2);
  Tensor second = t.batch(1);
  CHECK(second.shape() == Shape{1, 3, 1, 2});
  CHECK(second.data()[0] == 6.0f);
  Tensor s = t.slice(4, {2, 2});
  s.data()[0] = 100.0f;  // a view writes through to its storage
  CHECK(t.data()[4] == 100.0f);
  Tensor c = t.clone();
  c.data()[0] = -1.0f;  // a clone does not
  CHECK(t.data()[0] == 0.0f);
  CHECK(t.view({12}).shape() == Shape{12});
}

TEST_CASE("shape errors name the tensor and the shapes", "[runtime]") {
  Tensor t({1, 3, 4, 4});
  CHECK_THROWS_WITH(check_shape(t, {1, 3, 4, 5}, "conv input"), Catch::Contains("conv input") &&
                                                                    Catch::Contains("[1, 3, 4, 4]") &&
                                                                    Catch::Contains("[1, 3, 4, 5]"));
  CHECK_THROWS_WITH(t.view({5}), Catch::Contains("element count"));
  CHECK_THROWS_WITH(t.slice(40, {10}), Catch::Contains("overruns"));
  CHECK_THROWS_AS(Tensor({4}).n(), Error);
  CHECK_THROWS_WITH(Tensor::from_vector({2, 2}, {1, 2, 3}), Catch::Contains("do not fill"));
  CHECK_THROWS_WITH(parse_device("tpu"), Catch::Contains("unknown device 'tpu'"));
}

// Philox4x32-10 known-answer tests from the Random123 distribution (kat_vectors).
TEST_CASE("philox4x32-10 matches the Random123 known answers", "[runtime][rng]") {
  Philox4 zero = philox4x32_10(0, 0, 0);
  CHECK(zero.v[0] == 0x6627e8d5u);
  CHECK(zero.v[1] == 0xe169c58du);
  CHECK(zero.v[2] == 0xbc57ac4cu);
  CHECK(zero.v[3] == 0x9b00dbd8u);
  Philox4 ones = philox4x32_10(0xffffffffffffffffull, 0xffffffffffffffffull, 0xffffffffffffffffull);
  CHECK(ones.v[0] == 0x408f276du);
  CHECK(ones.v[1] == 0x41c83b0eu);
  CHECK(ones.v[2] == 0xa20bc7c6u);
  CHECK(ones.v[3] == 0x6d5451fdu);
  // counter (0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), key (0xa4093822, 0x299f31d0)
  Philox4 pi = philox4x32_10(0x85a308d3243f6a88ull, 0x0370734413198a2eull, 0x299f31d0a4093822ull);
  CHECK(pi.v[0] == 0xd16cfe09u);
  CHECK(pi.v[1] == 0x94fdccebu);
  CHECK(pi.v[2] == 0x5001e420u);
  CHECK(pi.v[3] == 0x24126ea1u);
}

TEST_CASE("random fills are reproducible and have the requested moments", "[runtime][rng]") {
  Tensor a({100000}), b({100000}), c({100000});
  fill_normal(a, 0.0f, 0.02f, 7, 3);
  fill_normal(b, 0.0f, 0.02f, 7, 3);
  fill_normal(c, 0.0f, 0.02f, 7, 4);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  double mean = 0, sq = 0;
  for (float v : a.to_vector()) {
    mean += v;
    sq += double(v) * v;
  }
  mean /= a.numel();
  double std = std::sqrt(sq / a.numel() - mean * mean);
  CHECK(std::abs(mean) < 3 * 0.02 / std::sqrt(1e5) * 2);
  CHECK(std::abs(std - 0.02) < 0.02 * 0.01);

  Tensor u({100000});
  fill_uniform(u, -1.0f, 1.0f, 1, 0);
  double lo = 1, hi = -1, mu = 0;
  for (float v : u.to_vector()) {
    lo = std::min(lo, double(v));
    hi = std::max(hi, double(v));
    mu += v;
  }
  CHECK(lo >= -1.0);
  CHECK(hi < 1.0);
  CHECK(lo < -0.999);
  CHECK(hi > 0.999);
  CHECK(std::abs(mu / u.numel()) < 0.01);
}

TEST_CASE("rel_error sees NaN, size mismatch and real differences", "[runtime][testing]") {
  using testing::rel_error;
  CHECK(rel_error(std::vector<double>{1, 2}, std::vector<double>{1, 2}) == 0.0);
  CHECK(std::isinf(rel_error(std::vector<double>{1, NAN}, std::vector<double>{1, 2})));
  CHECK(std::isinf(rel_error(std::vector<double>{1}, std::vector<double>{1, 2})));
  CHECK(rel_error(std::vector<double>{1, 2.5}, std::vector<double>{1, 2}) == Approx(0.25));
}

TEST_CASE("the test inputs are the Philox stream element by element, tails included", "[runtime][testing]") {
  for (size_t n : {size_t(1), size_t(6), size_t(9)}) {
    const std::vector<double> v = testing::random_values(n, 42, -2.0, 3.0);
    const std::vector<double> a = testing::random_away_from_zero(n, 43, 0.1, 1.0);
    REQUIRE(v.size() == n);
    REQUIRE(a.size() == n);
    for (size_t i = 0; i < n; ++i) {
      CHECK(v[i] == -2.0 + 5.0 * double(philox_uniform(42, 0, i)));
      const double m = 0.1 + 0.9 * double(philox_uniform(43, 0, i));
      CHECK(a[i] == (philox_uniform(43, 1, i) < 0.5f ? -m : m));
    }
  }
}
