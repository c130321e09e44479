#include "tests/op_harness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include "runtime/check.h"
#include "runtime/philox.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"
#ifdef P2P_WITH_CUDA
#include "runtime/cuda_util.h"
#endif
#ifdef P2P_CUDA_EMULATION
#include "runtime/emu/emu.h"
#endif

namespace p2p::testing {

size_t OpCase::index(const std::string& arg) const {
  for (size_t k = 0; k < args.size(); ++k)
    if (args[k].name == arg) return k;
  P2P_FAIL("op case " << name << ": no argument named " << arg);
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Starting values: inputs and inout arrays random and rounded to float (so that the double
// reference sees exactly what the float code sees), outputs NaN.
Arrays start_values(const OpCase& c, uint64_t seed) {
  Arrays a(c.args.size());
  for (size_t k = 0; k < c.args.size(); ++k) {
    const OpArg& arg = c.args[k];
    const size_t n = size_t(shape_numel(arg.shape));
    if (arg.role == Role::out) {
      a[k].assign(n, kNaN);
      continue;
    }
    const uint64_t s = seed * 1000003 + 101 * k;
    std::vector<double> v =
        arg.gap > 0 ? random_away_from_zero(n, s, arg.gap, arg.hi) : random_values(n, s, arg.lo, arg.hi);
    if (arg.channel_offset > 0) {
      const int64_t c = arg.shape.at(1), inner = int64_t(n) / (arg.shape.at(0) * c);
      const std::vector<double> off = random_values(size_t(c), s + 1, -arg.channel_offset, arg.channel_offset);
      for (size_t i = 0; i < n; ++i) v[i] += off[size_t(int64_t(i) / inner % c)];
    }
    a[k] = to_double(to_float(v));
  }
  return a;
}

Tensor device_tensor(const OpCase& c, const std::vector<double>& v, const Shape& shape, Device dev) {
  if (!(c.misaligned && dev == Device::CUDA)) return tensor_of(shape, v, dev);
  Tensor t = Tensor({shape_numel(shape) + 1}, dev).slice(1, shape);
  t.copy_from(tensor_of(shape, v, Device::CPU));
  return t;
}

// The op through the entry points on dev, from the starting values; every array read back.
Arrays run_entry(const OpCase& c, const Arrays& start, Device dev) {
  std::vector<Tensor> t;
  for (size_t k = 0; k < c.args.size(); ++k) t.push_back(device_tensor(c, start[k], c.args[k].shape, dev));
  c.run(t);
  Arrays got(c.args.size());
  for (size_t k = 0; k < c.args.size(); ++k) got[k] = to_double(t[k].to_vector());
  return got;
}

std::vector<double> change(const std::vector<double>& now, const std::vector<double>& start) {
  std::vector<double> d(now.size());
  for (size_t i = 0; i < now.size(); ++i) d[i] = now[i] - start[i];
  return d;
}

// The elements compared in sampled mode: all when few, else the first, the last and random ones.
std::vector<int64_t> sample(int64_t n, uint64_t seed) {
  constexpr int64_t kMax = 2000;
  std::vector<int64_t> idx;
  if (n <= kMax) {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  idx = {0, n - 1};
  for (int64_t i = 2; i < kMax; ++i) idx.push_back(int64_t(philox_bits(seed, 7, uint64_t(i)) % uint64_t(n)));
  return idx;
}

[[maybe_unused]] bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const float x = float(a[i]), y = float(b[i]);
    if (std::memcmp(&x, &y, sizeof x) != 0) return false;
  }
  return true;
}

void line(ModeReport& r, bool ok, const std::string& text) {
  r.ok = r.ok && ok;
  r.text += "  " + text + (ok ? "\n" : "  <-- FAIL\n");
}

}  // namespace

namespace {

// The elements compared of each array the op writes: all, or for a case with an element formula a sample.
std::vector<std::vector<int64_t>> compared_elements(const OpCase& c, uint64_t seed) {
  std::vector<std::vector<int64_t>> idx(c.args.size());
  for (size_t k = 0; k < c.args.size(); ++k) {
    if (c.args[k].role == Role::in) continue;
    const int64_t n = shape_numel(c.args[k].shape);
    if (c.element) {
      idx[k] = sample(n, seed + k);
    } else {
      idx[k].resize(size_t(n));
      for (int64_t i = 0; i < n; ++i) idx[k][size_t(i)] = i;
    }
  }
  return idx;
}

// The values of the arrays the op writes at idx (an inout array: its change from `start`), from
// `now` (the arrays after a run) or, when now is null, from the reference (`reference` on a copy of
// start, or `element` of start when set).
Arrays written(const OpCase& c, const std::vector<std::vector<int64_t>>& idx, const Arrays& start, const Arrays* now,
               const std::function<void(Arrays&)>& reference, const ElementFn& element) {
  Arrays full;
  if (!now && !element) {
    full = start;
    reference(full);
    now = &full;
  }
  Arrays v(c.args.size());
  for (size_t k = 0; k < c.args.size(); ++k)
    for (int64_t i : idx[k]) {
      const double x = now ? (*now)[k][size_t(i)] : element(start, k, i);
      v[k].push_back(c.args[k].role == Role::inout ? x - start[k][size_t(i)] : x);
    }
  return v;
}

// The TF32 bound (Tf32Reference). An output is y = sum_k a_k b_k over n products (plus a bias or
// the value it accumulates onto). The kernels multiply a~ = tf32(a) = a (1 + e), |e| <= 2^-11 (round
// to nearest to an 11-bit significand), and b~ alike, so
//   |a~ b~ - a b| <= (2 2^-11 + 2^-22) |a b| = (2^-10 + 2^-22) |a b|,
// and a~ b~ is exact in float (11 x 11 significant bits). The float sum of the n products, in any
// order and split into chunks (a path of at most n + 2 additions with the chunk sums and a bias),
// errs by at most gamma_{n+2} sum_k |a~_k b~_k| (Higham, Accuracy and Stability, (4.4)), with
// gamma_m = m u / (1 - m u) and sum_k |a~_k b~_k| <= (1 + 2^-10 + 2^-22) S, S = sum_k |a_k b_k|. u is
// the error of one float addition: 2^-24 rounding to nearest (the emulation), but tensor cores may
// truncate in their additions (Fasi et al., "Numerical behavior of NVIDIA tensor cores", 2021), so
// u = 2^-23, a whole unit in the last place, which holds for both.
// Hence, per output,
//   |y_kernel - y| <= beta S,  beta = 2^-10 + 2^-22 + gamma_{n+2} (1 + 2^-10 + 2^-22).
// S is the exact reference run on the inputs' absolute values (an inout array's change from |start|;
// the bias adds its |b| to S, which only loosens the bound). In the harness's inf-norm relative error,
// max_i |y_kernel,i - y_i| / max_i |y_i| <= beta max_i S_i / max_i |y_i|; plus the case's FP32 tol
// for the rounding of the bias add and of the accumulating += onto the start value (u |y| each, far
// below a tol of 1e-5).
double tf32_beta(int64_t n) {
  const double u = std::ldexp(1.0, -23), m = double(n + 2) * u, product = std::ldexp(1.0, -10) + std::ldexp(1.0, -22);
  P2P_CHECK(m < 0.5, "TF32 bound: sums of " << n << " products are beyond its derivation (n u < 1)");
  return product + m / (1.0 - m) * (1.0 + product);
}

std::string sci(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}

}  // namespace

ModeReport check_entry_vs_reference(const OpCase& c, Device dev, uint64_t seed) {
  ModeReport r;
  r.text = c.name + " on " + device_name(dev) + " (tol " + std::to_string(c.tol) + ": " + c.tol_reason + ")\n";
  const Arrays start = start_values(c, seed);
  const Arrays got = run_entry(c, start, dev);
  const std::vector<std::vector<int64_t>> idx = compared_elements(c, seed);
  const Arrays seen = written(c, idx, start, &got, nullptr, nullptr);
  auto compare = [&](const Arrays& want, const std::vector<double>& tol, const std::string& what) {
    for (size_t k = 0; k < c.args.size(); ++k) {
      const OpArg& arg = c.args[k];
      if (arg.role == Role::in) continue;
      const double err = rel_error(seen[k], want[k]);
      line(r, err <= tol[k],
           arg.name + (arg.role == Role::inout ? " (change)" : "") + ": rel err " + sci(err) +
               (c.element ? " over " + std::to_string(seen[k].size()) + " sampled elements" : "") + what +
               (tol[k] != c.tol ? " (bound " + sci(tol[k]) + ")" : ""));
    }
  };
  if (c.element)  // every element written (finite), not only the sampled ones
    for (size_t k = 0; k < c.args.size(); ++k) {
      if (c.args[k].role == Role::in) continue;
      size_t bad = 0;
      for (double v : got[k]) bad += !std::isfinite(v);
      line(r, bad == 0,
           c.args[k].name + ": " + std::to_string(bad) + " non-finite of " + std::to_string(got[k].size()));
    }
  const std::vector<double> fp32_tol(c.args.size(), c.tol);
  const Arrays exact = written(c, idx, start, nullptr, c.reference, c.element);
  if (!c.tf32) {
    compare(exact, fp32_tol, "");
    return r;
  }
  compare(written(c, idx, start, nullptr, c.tf32->reference, c.tf32->element), fp32_tol, ", reference on TF32 factors");
  Arrays abs_start = start;
  for (std::vector<double>& a : abs_start)
    for (double& v : a) v = std::abs(v);
  const Arrays sum_abs = written(c, idx, abs_start, nullptr, c.reference, c.element);
  std::vector<double> bound(c.args.size(), c.tol);  // an all-zero output: as FP32
  for (size_t k = 0; k < c.args.size(); ++k)
    if (c.args[k].role != Role::in && max_abs(exact[k]) > 0.0)
      bound[k] = tf32_beta(c.tf32->longest_sum) * max_abs(sum_abs[k]) / max_abs(exact[k]) + c.tol;
  compare(exact, bound, ", exact reference, TF32 bound");
  return r;
}

ModeReport check_reference_gradients(const OpCase& c, uint64_t seed) {
  P2P_CHECK(c.grad, "op case " << c.name << " has no gradient structure");
  const OpGrad& gr = *c.grad;
  const Arrays start = start_values(c, seed);
  const size_t y = c.index(gr.y), dy = c.index(gr.dy);
  GradCase gc;
  gc.name = c.name;
  gc.tol = gr.tol;
  gc.tol_reason = gr.reason;
  gc.h = gr.h;
  std::vector<size_t> grad_of;  // gc.inputs[i] is args[wrt[i].first], its gradient args[grad_of[i]]
  for (const auto& [x, gx] : gr.wrt) {
    const size_t xi = c.index(x), gi = c.index(gx);
    gc.inputs.push_back({x, start[xi], true, c.args[gi].role == Role::inout, {}});
    grad_of.push_back(gi);
  }
  auto arrays = [&, start](const std::vector<GradInput>& in) {
    Arrays a = start;
    for (size_t i = 0; i < in.size(); ++i) a[c.index(in[i].name)] = in[i].value;
    return a;
  };
  gc.forward = [&, arrays](const std::vector<GradInput>& in, std::vector<double>& out) {
    Arrays a = arrays(in);
    c.reference(a);
    out = a[y];
  };
  gc.backward = [&, arrays](std::vector<GradInput>& in, const std::vector<double>& dout) {
    Arrays a = arrays(in);
    a[dy] = dout;
    for (size_t i = 0; i < in.size(); ++i) a[grad_of[i]] = in[i].grad;  // NaN (written) or random (accumulated)
    c.reference(a);
    for (size_t i = 0; i < in.size(); ++i) in[i].grad = a[grad_of[i]];
  };
  const GradReport g = check_gradients(gc, seed);
  return {g.ok, g.text};
}

ModeReport check_determinism(const OpCase& c, uint64_t seed) {
  ModeReport r;
  r.text = c.name + ": the same bits in every configuration\n";
#ifdef P2P_WITH_CUDA
  const Arrays start = start_values(c, seed);
  const Arrays first = run_entry(c, start, Device::CUDA);
  auto compare = [&](const std::string& config) {
    const Arrays again = run_entry(c, start, Device::CUDA);
    for (size_t k = 0; k < c.args.size(); ++k)
      if (c.args[k].role != Role::in) line(r, same_bits(again[k], first[k]), c.args[k].name + ": " + config);
  };
  compare("run again");
#ifdef P2P_CUDA_EMULATION
  // A race between the threads of a block (a missing __syncthreads, a lane reading a neighbour's
  // shared memory without __syncwarp) makes the result depend on the order the threads run in.
  const emu::Schedule saved = emu::schedule();
  for (const emu::Schedule& s : {emu::Schedule{emu::Order::reverse, 0}, emu::Schedule{emu::Order::random, seed}}) {
    emu::set_schedule(s);
    compare("schedule " + emu::schedule_name(s));
  }
  emu::set_schedule(saved);
#endif
  // Two blocks at most for every grid-stride loop: each makes several passes.
  const unsigned cap = cuda::grid_cap();
  cuda::set_grid_cap(2);
  compare("grid capped at 2 blocks");
  cuda::set_grid_cap(cap);
#else
  (void)seed;
  line(r, false, "this build has no CUDA");
#endif
  return r;
}

ModeReport check_device_gradients(const OpCase& c, uint64_t seed) {
  P2P_CHECK(c.grad && c.grad->device_tol > 0, "op case " << c.name << " has no device gradient tolerance");
  const OpGrad& gr = *c.grad;
  ModeReport r;
  r.text = c.name + " (float differences, tol " + std::to_string(gr.device_tol) + ": " + gr.device_reason + ")\n";
  Arrays start = start_values(c, seed);
  const size_t y = c.index(gr.y), dy = c.index(gr.dy);
  const std::vector<double> u = start[dy];  // L = <y, u>, and the backward's dy = u
  const Arrays analytic = run_entry(c, start, Device::CUDA);
  auto loss = [&](const Arrays& a) {
    const Arrays out = run_entry(c, a, Device::CUDA);
    double l = 0.0;
    for (size_t i = 0; i < u.size(); ++i) l += out[y][i] * u[i];
    return l;
  };
  for (const auto& [x, gx] : gr.wrt) {
    const size_t xi = c.index(x), gi = c.index(gx);
    const std::vector<double> ana = c.args[gi].role == Role::inout ? change(analytic[gi], start[gi]) : analytic[gi];
    const size_t n = start[xi].size(), step = n <= 48 ? 1 : n / 48;
    double diff = 0.0, scale = 0.0;
    for (size_t e = 0; e < n; e += step) {
      const double saved = start[xi][e];
      start[xi][e] = float(saved + gr.device_h);
      const double up = start[xi][e], lp = loss(start);
      start[xi][e] = float(saved - gr.device_h);
      const double down = start[xi][e], lm = loss(start);
      start[xi][e] = saved;
      const double numeric = (lp - lm) / (up - down);  // the step as rounded to float
      if (!std::isfinite(ana[e])) diff = std::numeric_limits<double>::infinity();
      diff = std::max(diff, std::abs(numeric - ana[e]));
      scale = std::max(scale, std::abs(numeric));
    }
    const double err = scale > 0.0 ? diff / scale : diff;
    line(r, err <= gr.device_tol, "d/d" + x + ": rel err " + std::to_string(err));
  }
  return r;
}

}  // namespace p2p::testing
