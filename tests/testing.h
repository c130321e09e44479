// Helpers shared by the tests: random inputs from the Philox streams, and error measures.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace p2p::testing {

// n values uniform in [lo, hi) from stream (seed, offset).
std::vector<double> random_values(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0);
// Like random_values, but every |value| lies in [gap, hi): inputs kept away from a kink at 0.
std::vector<double> random_away_from_zero(size_t n, uint64_t seed, double gap, double hi = 1.0);

std::vector<float> to_float(const std::vector<double>& v);
std::vector<double> to_double(const std::vector<float>& v);

// max_i |got_i - want_i| / max_i |want_i| (inf-norm relative error); infinity when got holds a NaN
// or an infinity, or the sizes differ, so an unwritten (NaN-poisoned) element always fails.
double rel_error(const std::vector<double>& got, const std::vector<double>& want);
double rel_error(const std::vector<float>& got, const std::vector<double>& want);

// Elements of a[k] and b[k] (the same values computed by two backends) on different sides of 0, 0
// counting as a side of its own: where a ReLU, a LeakyReLU or a sign takes different branches, and a
// gradient then differs by O(1) however small the rounding difference that put it there.
int64_t sign_straddles(const std::vector<const Tensor*>& a, const std::vector<const Tensor*>& b);

// A tensor on dev holding the values (rounded to float).
Tensor tensor_of(const Shape& shape, const std::vector<double>& values, Device dev);
// A tensor on dev whose every element is NaN: written by an op under test, any element it misses
// shows up as a NaN in the comparison.
Tensor poisoned(const Shape& shape, Device dev);

}  // namespace p2p::testing
