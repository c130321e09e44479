// The training-health statistics (kernels/stats.h): forward-only reductions, so no finite
// differences; the float entry points and the CUDA kernels against the double reference, at sizes
// from one element (one block, one thread) past one block (257), to several blocks with several
// terms per thread, and on values far from 0 (mean 1000, spread 1) where a naive sum of squares
// would cancel the variance away.
#include "kernels/stats.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

const char* kTolReason =
    "each result is a double sum rounded once to float (2^-24), plus a few float ulp in the sigmoid and Adam terms";
constexpr double kTol = 1e-6;

// lr 2e-4, beta1 0.5, beta2 0.999, eps 1e-8: pix2pix's Adam.
constexpr float kLr = 2e-4f, kBeta1 = 0.5f, kBeta2 = 0.999f, kEps = 1e-8f;

OpCase stat_case(const std::string& op, int64_t n, double lo, double hi) {
  OpCase c;
  c.name = op + " [" + std::to_string(n) + "] in [" + std::to_string(lo) + ", " + std::to_string(hi) + ")";
  c.tol = kTol;
  c.tol_reason = kTolReason;
  const Shape s{n};
  if (op == "l2_norm") {
    c.args = {{"x", s, Role::in, lo, hi}, {"norm", {1}, Role::out}};
    c.reference = [n](Arrays& a) { ref::l2_norm<double>(n, a[0].data(), a[1].data()); };
    c.run = [](std::vector<Tensor>& t) { l2_norm(t[0], t[1]); };
  } else if (op == "moments") {
    // "std" is out[1] again, compared on its own scale (out's error is relative to the larger mean).
    c.args = {{"x", s, Role::in, lo, hi}, {"mean_std", {2}, Role::out}, {"std", {1}, Role::out}};
    c.reference = [n](Arrays& a) {
      ref::moments<double>(n, a[0].data(), a[1].data());
      a[2][0] = a[1][1];
    };
    c.run = [](std::vector<Tensor>& t) {
      moments(t[0], t[1]);
      t[2].copy_from(t[1].slice(1, {1}));
    };
  } else if (op == "mean_sigmoid") {
    c.args = {{"x", s, Role::in, lo, hi}, {"p", {1}, Role::out}};
    c.reference = [n](Arrays& a) { ref::mean_sigmoid<double>(n, a[0].data(), a[1].data()); };
    c.run = [](std::vector<Tensor>& t) { mean_sigmoid(t[0], t[1]); };
  } else {  // adam_update_norm at step 3: m in [lo, hi), v in [0, hi^2) as a second moment is
    c.args = {{"m", s, Role::in, lo, hi}, {"v", s, Role::in, 0.0, hi * hi}, {"norm", {1}, Role::out}};
    c.reference = [n](Arrays& a) {
      ref::adam_update_norm<double>(n, a[0].data(), a[1].data(), kLr, kBeta1, kBeta2, kEps, 3, a[2].data());
    };
    c.run = [](std::vector<Tensor>& t) {
      adam_update_norm(t[0], t[1], AdamConfig{kLr, kBeta1, kBeta2, kEps}, 3, t[2]);
    };
  }
  return c;
}

}  // namespace

std::vector<OpCase> stats_cases(ShapeSet set) {
  std::vector<OpCase> cases;
  // 1: one thread; 257: two blocks, one straggler; 70001: 256 blocks, 1 or 2 terms per thread;
  // full adds 2^20 + 3 (16 terms per thread, a ragged last pass).
  std::vector<int64_t> sizes = {1, 7, 257, 70001};
  if (set == ShapeSet::full) sizes.push_back((1 << 20) + 3);
  for (const char* op : {"l2_norm", "moments", "mean_sigmoid", "adam_update_norm"})
    for (int64_t n : sizes) cases.push_back(stat_case(op, n, -1.0, 1.0));
  // Away from 0: a mean of 1000.5 with a spread of 0.29 (the shifted sums), logits saturating both ways.
  for (int64_t n : {int64_t(7), int64_t(70001)}) {
    cases.push_back(stat_case("moments", n, 1000.0, 1001.0));
    cases.push_back(stat_case("mean_sigmoid", n, -30.0, 30.0));
  }
  return cases;
}

}  // namespace p2p::testing
