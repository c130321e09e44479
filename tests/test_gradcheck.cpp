// The finite-difference harness itself: it passes a correct backward and fails each kind of wrong
// one (flipped sign, dropped term, forgotten element, overwritten accumulator). Then axpy.
#include <catch2/catch.hpp>

#include "kernels/elementwise.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
// f(x, w) = x * w + x^2 elementwise; df/dx = w + 2x (activation gradient, written),
// df/dw = x (parameter gradient, accumulated). `mistake` selects a wrong backward.
enum class Mistake { none, flipped_sign, dropped_term, forgot_last, overwrote_accumulator };
GradCase toy_case(Mistake mistake) {
  GradCase c;
  c.name = "toy";
  c.inputs = {{"x", random_values(9, 1)}, {"w", random_values(9, 2), true, true}};
  c.forward = [](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(9);
    for (int i = 0; i < 9; ++i) y[i] = in[0].value[i] * in[1].value[i] + in[0].value[i] * in[0].value[i];
  };
  c.backward = [mistake](std::vector<GradInput>& in, const std::vector<double>& dy) {
    for (int i = 0; i < 9; ++i) {
      const double x = in[0].value[i], w = in[1].value[i];
      if (!(mistake == Mistake::forgot_last && i == 8))
        in[0].grad[i] = dy[i] * (mistake == Mistake::dropped_term ? w : w + 2 * x);
      double dw = dy[i] * x * (mistake == Mistake::flipped_sign ? -1 : 1);
      if (mistake == Mistake::overwrote_accumulator)
        in[1].grad[i] = dw;
      else
        in[1].grad[i] += dw;
    }
  };
  c.tol = 1e-7;
  c.tol_reason = "smooth polynomial in double";
  return c;
}
}  // namespace

TEST_CASE("gradcheck passes a correct backward", "[gradcheck][harness]") {
  GradReport r = check_gradients(toy_case(Mistake::none));
  INFO(r.text);
  CHECK(r.ok);
}

TEST_CASE("gradcheck fails each kind of wrong backward", "[gradcheck][harness]") {
  for (Mistake m :
       {Mistake::flipped_sign, Mistake::dropped_term, Mistake::forgot_last, Mistake::overwrote_accumulator}) {
    GradReport r = check_gradients(toy_case(m));
    INFO(r.text);
    CHECK_FALSE(r.ok);
  }
}

TEST_CASE("axpy gradients", "[gradcheck][axpy]") {
  // y_out = y + alpha x: dy_in = dout (written), dx = alpha dout (written).
  const double alpha = -0.75;
  GradCase c;
  c.name = "axpy n=37";
  c.inputs = {{"x", random_values(37, 3)}, {"y", random_values(37, 4)}};
  c.forward = [&](const std::vector<GradInput>& in, std::vector<double>& out) {
    out = in[1].value;
    ref::axpy<double>(37, alpha, in[0].value.data(), out.data());
  };
  c.backward = [&](std::vector<GradInput>& in, const std::vector<double>& dout) {
    in[1].grad = dout;
    for (int i = 0; i < 37; ++i) in[0].grad[i] = alpha * dout[i];
  };
  c.tol = 1e-8;
  c.tol_reason = "linear: central differences are exact up to rounding";
  GradReport r = check_gradients(c);
  INFO(r.text);
  CHECK(r.ok);
}
