// The pointwise CUDA kernels against the CPU references: for every op, fresh random inputs at odd
// sizes and pix2pix sizes, at 16-byte-aligned pointers (the float4 paths) and at pointer + 1 views
// (the scalar paths), outputs poisoned with NaN first, compared with the double reference computed
// from the same float inputs. Also: the dropout mask bit for bit, loss reductions bit for bit across
// runs, and a float finite-difference check of the loss gradients through the CUDA path.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/adam.h"
#include "kernels/concat.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "runtime/philox.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
// Float kernels against a double reference: a few float roundings (tanhf, expf: a few ulp).
constexpr double kTol = 1e-5;

const std::vector<Shape> kPointwiseShapes = {
    {1}, {3}, {1001}, {4099}, {1, 512, 2, 2}, {16, 512, 8, 8}, {16, 128, 128, 128}};

// Values as the GPU sees them (rounded to float), and a CUDA tensor holding them; `misaligned`
// places it at element 1 of a larger buffer, so its pointer is 4 bytes past a 16-byte boundary.
struct Input {
  std::vector<double> v;
  Tensor t;
};
Input cuda_input(const Shape& s, const std::vector<double>& values, bool misaligned) {
  std::vector<float> f = to_float(values);
  Input in{to_double(f), Tensor()};
  if (misaligned) f.insert(f.begin(), 0.0f);
  Tensor whole = Tensor::from_vector({int64_t(f.size())}, f, Device::CUDA);
  in.t = whole.slice(misaligned ? 1 : 0, s);
  return in;
}
Tensor cuda_output(const Shape& s, bool misaligned) {
  return poisoned({shape_numel(s) + 1}, Device::CUDA).slice(misaligned ? 1 : 0, s);
}
// A fresh seed for every input of every case.
uint64_t next_seed() {
  static uint64_t seed = 1000;
  return seed++;
}
std::vector<double> fresh(int64_t n, double lo = -1.0, double hi = 1.0) {
  return random_values(size_t(n), next_seed(), lo, hi);
}
std::string where(const Shape& s, bool misaligned) {
  return shape_str(s) + (misaligned ? " at pointer + 1" : " aligned");
}
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

TEST_CASE("gpu axpy matches the reference", "[gpu][elementwise]") {
  for (const Shape& s : kPointwiseShapes)
    for (bool mis : {false, true}) {
      const int64_t n = shape_numel(s);
      Input x = cuda_input(s, fresh(n), mis), y = cuda_input(s, fresh(n), mis);
      std::vector<double> want = y.v;
      ref::axpy<double>(n, -0.75, x.v.data(), want.data());
      axpy(-0.75f, x.t, y.t);
      INFO(where(s, mis));
      CHECK(rel_error(y.t.to_vector(), want) < kTol);
    }
}

TEST_CASE("gpu leaky_relu and relu match the reference", "[gpu][activation]") {
  for (const Shape& s : kPointwiseShapes)
    for (bool mis : {false, true})
      for (float slope : {0.2f, 0.0f}) {
        const int64_t n = shape_numel(s);
        Input x = cuda_input(s, fresh(n), mis), dy = cuda_input(s, fresh(n), mis);
        Tensor y = cuda_output(s, mis), dx = cuda_output(s, mis);
        std::vector<double> want_y(n), want_dx(n);
        ref::leaky_relu_forward<double>(n, x.v.data(), slope, want_y.data());
        ref::leaky_relu_backward<double>(n, x.v.data(), dy.v.data(), slope, want_dx.data());
        leaky_relu_forward(x.t, slope, y);
        leaky_relu_backward(x.t, dy.t, slope, dx);
        INFO(where(s, mis) << " slope " << slope);
        CHECK(rel_error(y.to_vector(), want_y) < kTol);
        CHECK(rel_error(dx.to_vector(), want_dx) < kTol);
        leaky_relu_forward(x.t, slope, x.t);  // in place
        CHECK(rel_error(x.t.to_vector(), want_y) < kTol);
      }
}

TEST_CASE("gpu tanh matches the reference", "[gpu][activation]") {
  for (const Shape& s : kPointwiseShapes)
    for (bool mis : {false, true}) {
      const int64_t n = shape_numel(s);
      Input x = cuda_input(s, fresh(n, -4.0, 4.0), mis), yb = cuda_input(s, fresh(n), mis);
      Input dy = cuda_input(s, fresh(n), mis);
      Tensor y = cuda_output(s, mis), dx = cuda_output(s, mis);
      std::vector<double> want_y(n), want_dx(n);
      ref::tanh_forward<double>(n, x.v.data(), want_y.data());
      ref::tanh_backward<double>(n, yb.v.data(), dy.v.data(), want_dx.data());
      tanh_forward(x.t, y);
      tanh_backward(yb.t, dy.t, dx);
      INFO(where(s, mis));
      CHECK(rel_error(y.to_vector(), want_y) < kTol);
      CHECK(rel_error(dx.to_vector(), want_dx) < kTol);
    }
}

TEST_CASE("gpu dropout draws the CPU's mask bit for bit", "[gpu][dropout]") {
  const uint64_t seed = 2024, offset = 17;
  for (const Shape& s : kPointwiseShapes)
    for (bool mis : {false, true})
      for (float p : {0.5f, 0.3f, 0.0f}) {
        const int64_t n = shape_numel(s);
        Input x = cuda_input(s, fresh(n), mis);
        Tensor y = cuda_output(s, mis), dx = cuda_output(s, mis);
        dropout_forward(x.t, p, seed, offset, y);
        dropout_backward(x.t, p, seed, offset, dx);  // the same map applied to dy = x
        // The CPU float reference: the same mask and the same rounded scale, so the same bits.
        std::vector<float> xf = to_float(x.v), want_f(n);
        ref::dropout_forward<float>(n, xf.data(), p, seed, offset, want_f.data());
        std::vector<double> want(n);
        ref::dropout_forward<double>(n, x.v.data(), p, seed, offset, want.data());
        const std::vector<float> got = y.to_vector();
        int64_t mask_mismatches = 0;
        for (int64_t i = 0; i < n; ++i) {
          const bool keep = philox_uniform(seed, offset, uint64_t(i)) >= p;
          if (xf[i] != 0.0f) mask_mismatches += keep != (got[i] != 0.0f);  // a zero x hides its mask bit
        }
        INFO(where(s, mis) << " p " << p);
        CHECK(mask_mismatches == 0);
        CHECK(same_bits(got, want_f));
        CHECK(same_bits(dx.to_vector(), want_f));
        CHECK(rel_error(got, want) < kTol);
      }
}

TEST_CASE("gpu concat and split match the reference", "[gpu][concat]") {
  struct Dims {
    int n, ca, cb, h, w;
  };
  for (Dims d : {Dims{1, 1, 1, 1, 1}, Dims{2, 3, 5, 7, 9}, Dims{16, 512, 512, 2, 2}, Dims{3, 2, 1, 4, 4},
                 Dims{16, 64, 64, 128, 128}})
    for (bool mis : {false, true}) {
      const Shape sa{d.n, d.ca, d.h, d.w}, sb{d.n, d.cb, d.h, d.w}, sy{d.n, d.ca + d.cb, d.h, d.w};
      const int64_t hw = int64_t(d.h) * d.w;
      Input a = cuda_input(sa, fresh(shape_numel(sa)), mis), b = cuda_input(sb, fresh(shape_numel(sb)), false);
      Input dy = cuda_input(sy, fresh(shape_numel(sy)), mis);
      Tensor y = cuda_output(sy, false), da = cuda_output(sa, false), db = cuda_output(sb, mis);
      std::vector<double> want_y(shape_numel(sy)), want_da(shape_numel(sa)), want_db(shape_numel(sb));
      ref::concat_forward<double>(d.n, d.ca, d.cb, hw, a.v.data(), b.v.data(), want_y.data());
      ref::concat_backward<double>(d.n, d.ca, d.cb, hw, dy.v.data(), want_da.data(), want_db.data());
      concat_forward(a.t, b.t, y);
      concat_backward(dy.t, &da, &db);
      INFO(shape_str(sy) << (mis ? " with a, dy and db at pointer + 1" : " aligned"));
      CHECK(rel_error(y.to_vector(), want_y) < kTol);
      CHECK(rel_error(da.to_vector(), want_da) < kTol);
      CHECK(rel_error(db.to_vector(), want_db) < kTol);
      Tensor db_only = cuda_output(sb, mis);  // da not wanted
      concat_backward(dy.t, nullptr, &db_only);
      CHECK(rel_error(db_only.to_vector(), want_db) < kTol);
    }
}

namespace {
// One loss on the GPU and in double, given the same float inputs.
enum class Loss { bce, mse, l1 };
const char* loss_name(Loss l) { return l == Loss::bce ? "bce_with_logits" : l == Loss::mse ? "mse" : "l1"; }

void gpu_forward(Loss l, const Tensor& x, const Tensor& y, float t, Tensor& loss) {
  if (l == Loss::bce) bce_with_logits_forward(x, t, loss);
  if (l == Loss::mse) mse_forward(x, t, loss);
  if (l == Loss::l1) l1_forward(x, y, loss);
}
void gpu_backward(Loss l, const Tensor& x, const Tensor& y, float t, float scale, Tensor& dx) {
  if (l == Loss::bce) bce_with_logits_backward(x, t, scale, dx);
  if (l == Loss::mse) mse_backward(x, t, scale, dx);
  if (l == Loss::l1) l1_backward(x, y, scale, dx);
}
double ref_forward(Loss l, const std::vector<double>& x, const std::vector<double>& y, double t) {
  double loss = 0.0;
  const int64_t n = int64_t(x.size());
  if (l == Loss::bce) ref::bce_with_logits_forward<double>(n, x.data(), t, &loss);
  if (l == Loss::mse) ref::mse_forward<double>(n, x.data(), t, &loss);
  if (l == Loss::l1) ref::l1_forward<double>(n, x.data(), y.data(), &loss);
  return loss;
}
std::vector<double> ref_backward(Loss l, const std::vector<double>& x, const std::vector<double>& y, double t,
                                 double scale) {
  const int64_t n = int64_t(x.size());
  std::vector<double> dx(n);
  if (l == Loss::bce) ref::bce_with_logits_backward<double>(n, x.data(), t, scale, dx.data());
  if (l == Loss::mse) ref::mse_backward<double>(n, x.data(), t, scale, dx.data());
  if (l == Loss::l1) ref::l1_backward<double>(n, x.data(), y.data(), scale, dx.data());
  return dx;
}
// Logits over a wide range with a few saturated ones; targets near x for l1 and mse.
std::vector<double> loss_input(Loss l, int64_t n) {
  std::vector<double> x = fresh(n, l == Loss::bce ? -8.0 : -1.0, l == Loss::bce ? 8.0 : 1.0);
  if (l == Loss::bce)
    for (int64_t i = 0; i < n; i += 97) x[i] = (i / 97) % 2 ? 100.0 : -100.0;
  return x;
}
}  // namespace

TEST_CASE("gpu losses match the reference and reduce deterministically", "[gpu][loss]") {
  const std::vector<Shape> shapes = {{1}, {3}, {1001}, {4099}, {1, 1, 30, 30}, {16, 1, 30, 30}, {16, 3, 256, 256}};
  for (Loss l : {Loss::bce, Loss::mse, Loss::l1})
    for (const Shape& s : shapes)
      for (bool mis : {false, true})
        for (float t : {0.0f, 1.0f}) {
          const int64_t n = shape_numel(s);
          Input x = cuda_input(s, loss_input(l, n), mis), y = cuda_input(s, fresh(n), mis);
          Tensor loss = cuda_output({1}, false), loss2 = cuda_output({1}, false), dx = cuda_output(s, mis);
          gpu_forward(l, x.t, y.t, t, loss);
          gpu_forward(l, x.t, y.t, t, loss2);
          gpu_backward(l, x.t, y.t, t, 0.5f, dx);
          INFO(loss_name(l) << " " << where(s, mis) << " target " << t);
          CHECK(rel_error(loss.to_vector(), {ref_forward(l, x.v, y.v, t)}) < kTol);
          CHECK(same_bits(loss.to_vector(), loss2.to_vector()));
          CHECK(rel_error(dx.to_vector(), ref_backward(l, x.v, y.v, t, 0.5)) < kTol);
        }
}

TEST_CASE("gpu loss gradients agree with float finite differences of the gpu loss", "[gpu][loss]") {
  // n = 35 ([1, 1, 5, 7]), h = 1e-2. The float loss (~1) is rounded to ~1e-7, which over 2h is
  // ~1e-5 against gradients of ~1e-2 (1/n): relative ~1e-3. bce's O(h^2) truncation is ~1e-5
  // relative; l1 is exact away from its kink (|x - y| >= 0.05 > h). Tolerance 5e-3.
  const Shape s{1, 1, 5, 7};
  const int64_t n = 35;
  const double h = 1e-2, tol = 5e-3;
  for (Loss l : {Loss::bce, Loss::l1}) {
    std::vector<double> x = fresh(n, -3.0, 3.0), y = fresh(n), gap = random_away_from_zero(n, next_seed(), 0.05);
    if (l == Loss::l1)
      for (int64_t i = 0; i < n; ++i) x[i] = y[i] + gap[i];
    const float t = 1.0f;
    Input yin = cuda_input(s, y, false);
    Input xin = cuda_input(s, x, false);
    Tensor dx = cuda_output(s, false);
    gpu_backward(l, xin.t, yin.t, t, 1.0f, dx);
    const std::vector<float> analytic = dx.to_vector();
    auto loss_at = [&](const std::vector<double>& xs) {
      Tensor loss = cuda_output({1}, false);
      gpu_forward(l, cuda_input(s, xs, false).t, yin.t, t, loss);
      return double(loss.to_vector()[0]);
    };
    double diff = 0.0, scale = 0.0;
    for (int64_t e = 0; e < n; ++e) {
      std::vector<double> xp = xin.v, xm = xin.v;
      xp[e] = float(xin.v[e] + h);
      xm[e] = float(xin.v[e] - h);
      const double numeric = (loss_at(xp) - loss_at(xm)) / (xp[e] - xm[e]);  // the step as rounded to float
      diff = std::max(diff, std::abs(numeric - analytic[e]));
      scale = std::max(scale, std::abs(numeric));
    }
    INFO(loss_name(l) << ": max |numeric - analytic| / max |numeric| = " << diff / scale);
    CHECK(diff / scale < tol);
  }
}

TEST_CASE("gpu adam matches the reference", "[gpu][adam]") {
  AdamConfig cfg;
  // The odd sizes at both alignments, then one flat buffer the size of pix2pix's parameters (~54M).
  struct Case {
    int64_t n;
    bool mis;
  };
  std::vector<Case> cases;
  for (int64_t n : {1, 3, 1001, 4099})
    for (bool mis : {false, true}) cases.push_back({n, mis});
  cases.push_back({54414080, false});
  for (const Case& c : cases)
    for (int64_t t : {1, 2, 57}) {
      const Shape s{c.n};
      Input p = cuda_input(s, fresh(c.n, -0.1, 0.1), c.mis), g = cuda_input(s, fresh(c.n, -0.01, 0.01), c.mis);
      Input m = cuda_input(s, t == 1 ? std::vector<double>(c.n, 0.0) : fresh(c.n, -0.01, 0.01), c.mis);
      Input v = cuda_input(s, t == 1 ? std::vector<double>(c.n, 0.0) : fresh(c.n, 0.0, 1e-4), c.mis);
      ref::adam_step<double>(c.n, p.v.data(), g.v.data(), m.v.data(), v.v.data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
                             t);
      adam_step(p.t, g.t, m.t, v.t, cfg, t);
      INFO(where(s, c.mis) << " t " << t);
      CHECK(rel_error(p.t.to_vector(), p.v) < kTol);
      CHECK(rel_error(m.t.to_vector(), m.v) < kTol);
      CHECK(rel_error(v.t.to_vector(), v.v) < kTol);
    }
}
