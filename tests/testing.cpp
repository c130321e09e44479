#include "tests/testing.h"

#include <cmath>
#include <limits>

#include "runtime/philox.h"

namespace p2p::testing {

namespace {
// Element i of stream (seed, offset) is word i & 3 of philox4x32_10(i >> 2, ...) (runtime/philox.h):
// one generator call yields four consecutive elements, the same values as philox_uniform one by one.
template <class F>
void for_each_uniform(size_t n, uint64_t seed, uint64_t offset, F f) {
  for (size_t i = 0; i < n; i += 4) {
    const Philox4 r = philox4x32_10(i >> 2, offset, seed);
    for (size_t j = 0; j < 4 && i + j < n; ++j) f(i + j, philox_unit(r.v[j]));
  }
}
}  // namespace

std::vector<double> random_values(size_t n, uint64_t seed, double lo, double hi) {
  std::vector<double> v(n);
  for_each_uniform(n, seed, 0, [&](size_t i, float u) { v[i] = lo + (hi - lo) * u; });
  return v;
}

std::vector<double> random_away_from_zero(size_t n, uint64_t seed, double gap, double hi) {
  std::vector<double> v = random_values(n, seed, gap, hi);
  for_each_uniform(n, seed, 1, [&](size_t i, float u) {
    if (u < 0.5f) v[i] = -v[i];
  });
  return v;
}

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }
std::vector<double> to_double(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

double rel_error(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return std::numeric_limits<double>::infinity();
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) return std::numeric_limits<double>::infinity();
    diff = std::max(diff, std::abs(got[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return scale > 0.0 ? diff / scale : diff;
}

double rel_error(const std::vector<float>& got, const std::vector<double>& want) {
  return rel_error(to_double(got), want);
}

int64_t sign_straddles(const std::vector<const Tensor*>& a, const std::vector<const Tensor*>& b) {
  int64_t n = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    const std::vector<float> x = a[k]->to_vector(), y = b[k]->to_vector();
    for (size_t i = 0; i < x.size(); ++i) n += (x[i] > 0.0f) != (y[i] > 0.0f) || (x[i] < 0.0f) != (y[i] < 0.0f);
  }
  return n;
}

Tensor tensor_of(const Shape& shape, const std::vector<double>& values, Device dev) {
  return Tensor::from_vector(shape, to_float(values), dev);
}

Tensor poisoned(const Shape& shape, Device dev) {
  return Tensor::full(shape, std::numeric_limits<float>::quiet_NaN(), dev);
}

}  // namespace p2p::testing
