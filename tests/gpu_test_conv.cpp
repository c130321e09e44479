// The conv2d / conv_transpose2d CUDA kernels against double references on the CPU, computed from the
// same float inputs: every pass (forward with bias, backward-data, backward-weight accumulating into
// random dw, bias_backward accumulating into random db) on small odd geometries (compared with the full
// ref:: tensors) and on every pix2pix layer shape at batch 1 and 16 (compared on a sample of elements
// evaluated by the direct formulas, while the whole output must be NaN-free). Outputs start as NaN.
// Tolerance 1e-5 (inf-norm relative): float accumulation of at most a few 1e5 products of O(1) values
// gives ~1e-7..1e-6; an indexing bug gives O(1). Then bitwise determinism and a float finite-difference
// check of the GPU gradients.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <sstream>

#include "kernels/conv2d.h"
#include "kernels/conv_transpose2d.h"
#include "runtime/philox.h"
#include "tests/layer_shapes.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

constexpr double kTol = 1e-5;
constexpr size_t kSamples = 3000;  // elements compared per output of a layer shape

// Random values rounded to float (so the double reference sees exactly the GPU's inputs) and the
// same values as a GPU tensor.
struct Input {
  std::vector<double> v;
  Tensor t;
};
Input make_input(const Shape& s, uint64_t seed) {
  Input in{to_double(to_float(random_values(shape_numel(s), seed))), Tensor()};
  in.t = tensor_of(s, in.v, Device::CUDA);
  return in;
}

// All indices when n <= max, else the first, the last and random ones.
std::vector<int64_t> sample(int64_t n, size_t max, uint64_t seed) {
  std::vector<int64_t> idx;
  if (uint64_t(n) <= max) {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    return idx;
  }
  idx = {0, n - 1};
  for (size_t i = 2; i < max; ++i) {
    const uint64_t r = (uint64_t(philox_bits(seed, 7, 2 * i)) << 32) | philox_bits(seed, 7, 2 * i + 1);
    idx.push_back(int64_t(r % uint64_t(n)));
  }
  return idx;
}

// Compares got (the whole GPU tensor must be finite) with want on the sampled elements.
void check_output(const std::string& what, const Tensor& got, const std::vector<int64_t>& idx,
                  const std::function<double(int64_t)>& want) {
  const std::vector<float> g = got.to_vector();
  size_t bad = 0;
  for (float v : g) bad += !std::isfinite(v);
  INFO(what << ": " << bad << " non-finite elements of " << g.size());
  CHECK(bad == 0);
  std::vector<double> gs, ws;
  for (int64_t i : idx) {
    gs.push_back(g[i]);
    ws.push_back(want(i));
  }
  const double err = rel_error(gs, ws);
  INFO(what << ": rel error " << err << " over " << idx.size() << " of " << g.size() << " elements");
  CHECK(err < kTol);
}

std::string conv_name(const char* op, const ConvGeom& g) {
  std::ostringstream os;
  os << op << " x [" << g.n << ", " << g.c << ", " << g.h << ", " << g.w << "] w [" << g.k << ", " << g.c << ", " << g.r
     << ", " << g.s << "] stride " << g.stride << " pad " << g.pad;
  return os.str();
}

// conv2d: all four kernels. full: compare every element with the ref:: tensors; else samples of the
// direct formulas of kernels/conv2d.h.
void check_conv2d(const ConvGeom& g, bool full, uint64_t seed) {
  const std::string name = conv_name("conv2d", g);
  const int P = g.p(), Q = g.q();
  const Shape xs{g.n, g.c, g.h, g.w}, ws{g.k, g.c, g.r, g.s}, ys{g.n, g.k, P, Q};
  const Input x = make_input(xs, seed), w = make_input(ws, seed + 1), b = make_input({g.k}, seed + 2),
              dy = make_input(ys, seed + 3), dw0 = make_input(ws, seed + 4), db0 = make_input({g.k}, seed + 5);
  auto X = [&](int n, int c, int h, int ww) { return x.v[((int64_t(n) * g.c + c) * g.h + h) * g.w + ww]; };
  auto Wt = [&](int k, int c, int r, int s) { return w.v[((int64_t(k) * g.c + c) * g.r + r) * g.s + s]; };
  auto DY = [&](int n, int k, int p, int q) { return dy.v[((int64_t(n) * g.k + k) * P + p) * Q + q]; };

  // forward
  Tensor y = poisoned(ys, Device::CUDA);
  conv2d_forward(x.t, w.t, &b.t, g.stride, g.pad, y);
  std::vector<double> ref;
  std::function<double(int64_t)> want;
  if (full) {
    ref.resize(g.y_size());
    ref::conv2d_forward<double>(g, x.v.data(), w.v.data(), b.v.data(), ref.data());
    want = [&](int64_t i) { return ref[i]; };
  } else {
    want = [&](int64_t i) {
      const int q = i % Q, p = (i / Q) % P, k = (i / (int64_t(P) * Q)) % g.k, n = i / (int64_t(P) * Q * g.k);
      double acc = b.v[k];
      for (int c = 0; c < g.c; ++c)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int h = p * g.stride + r - g.pad, ww = q * g.stride + s - g.pad;
            if (h >= 0 && h < g.h && ww >= 0 && ww < g.w) acc += X(n, c, h, ww) * Wt(k, c, r, s);
          }
      return acc;
    };
  }
  check_output(name + " forward", y, sample(g.y_size(), full ? SIZE_MAX : kSamples, seed), want);

  // backward-data
  Tensor dx = poisoned(xs, Device::CUDA);
  conv2d_backward_data(dy.t, w.t, g.stride, g.pad, dx);
  if (full) {
    ref.assign(g.x_size(), 0.0);
    ref::conv2d_backward_data<double>(g, dy.v.data(), w.v.data(), ref.data());
  } else {
    want = [&](int64_t i) {
      const int ww = i % g.w, h = (i / g.w) % g.h, c = (i / (int64_t(g.h) * g.w)) % g.c,
                n = i / (int64_t(g.h) * g.w * g.c);
      double acc = 0.0;
      for (int k = 0; k < g.k; ++k)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int ph = h + g.pad - r, pw = ww + g.pad - s;
            if (ph < 0 || pw < 0 || ph % g.stride || pw % g.stride) continue;
            const int p = ph / g.stride, q = pw / g.stride;
            if (p < P && q < Q) acc += DY(n, k, p, q) * Wt(k, c, r, s);
          }
      return acc;
    };
  }
  check_output(name + " backward-data", dx, sample(g.x_size(), full ? SIZE_MAX : kSamples, seed + 1), want);

  // backward-weight, accumulating into random dw
  Tensor dw = dw0.t.clone();
  conv2d_backward_weight(x.t, dy.t, g.stride, g.pad, dw);
  if (full) {
    ref = dw0.v;
    ref::conv2d_backward_weight<double>(g, x.v.data(), dy.v.data(), ref.data());
  } else {
    want = [&](int64_t i) {
      const int s = i % g.s, r = (i / g.s) % g.r, c = (i / (int64_t(g.s) * g.r)) % g.c,
                k = i / (int64_t(g.s) * g.r * g.c);
      double acc = dw0.v[i];
      for (int n = 0; n < g.n; ++n)
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            const int h = p * g.stride + r - g.pad, ww = q * g.stride + s - g.pad;
            if (h >= 0 && h < g.h && ww >= 0 && ww < g.w) acc += DY(n, k, p, q) * X(n, c, h, ww);
          }
      return acc;
    };
  }
  check_output(name + " backward-weight", dw, sample(g.w_size(), full ? SIZE_MAX : kSamples / 8, seed + 2), want);

  // bias, accumulating into random db (always checked in full: one sum per channel)
  Tensor db = db0.t.clone();
  bias_backward(dy.t, db);
  ref = db0.v;
  ref::bias_backward<double>(g.n, g.k, int64_t(P) * Q, dy.v.data(), ref.data());
  check_output(name + " bias_backward", db, sample(g.k, SIZE_MAX, 0), [&](int64_t i) { return ref[i]; });
}

std::string convt_name(const ConvTGeom& g) {
  std::ostringstream os;
  os << "conv_transpose2d x [" << g.n << ", " << g.c << ", " << g.h << ", " << g.w << "] w [" << g.c << ", " << g.o
     << ", " << g.r << ", " << g.s << "] stride " << g.stride << " pad " << g.pad;
  return os.str();
}

// conv_transpose2d: its three kernels (the bias gradient is bias_backward, checked above).
void check_conv_transpose2d(const ConvTGeom& g, bool full, uint64_t seed) {
  const std::string name = convt_name(g);
  const int HO = g.ho(), WO = g.wo();
  const Shape xs{g.n, g.c, g.h, g.w}, ws{g.c, g.o, g.r, g.s}, ys{g.n, g.o, HO, WO};
  const int64_t x_size = shape_numel(xs), w_size = shape_numel(ws), y_size = shape_numel(ys);
  const Input x = make_input(xs, seed), w = make_input(ws, seed + 1), b = make_input({g.o}, seed + 2),
              dy = make_input(ys, seed + 3), dw0 = make_input(ws, seed + 4);
  auto X = [&](int n, int c, int i, int j) { return x.v[((int64_t(n) * g.c + c) * g.h + i) * g.w + j]; };
  auto Wt = [&](int c, int o, int r, int s) { return w.v[((int64_t(c) * g.o + o) * g.r + r) * g.s + s]; };
  auto DY = [&](int n, int o, int hh, int ww) { return dy.v[((int64_t(n) * g.o + o) * HO + hh) * WO + ww]; };

  // forward: y[n,o,hh,ww] = b[o] + sum over the (c, r, s) with hh = i*stride + r - pad, ww = j*stride + s - pad
  Tensor y = poisoned(ys, Device::CUDA);
  conv_transpose2d_forward(x.t, w.t, &b.t, g.stride, g.pad, y);
  std::vector<double> ref;
  std::function<double(int64_t)> want;
  if (full) {
    ref.resize(y_size);
    ref::conv_transpose2d_forward<double>(g, x.v.data(), w.v.data(), b.v.data(), ref.data());
    want = [&](int64_t i) { return ref[i]; };
  } else {
    want = [&](int64_t e) {
      const int ww = e % WO, hh = (e / WO) % HO, o = (e / (int64_t(HO) * WO)) % g.o, n = e / (int64_t(HO) * WO * g.o);
      double acc = b.v[o];
      for (int c = 0; c < g.c; ++c)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int ih = hh + g.pad - r, jw = ww + g.pad - s;
            if (ih < 0 || jw < 0 || ih % g.stride || jw % g.stride) continue;
            const int i = ih / g.stride, j = jw / g.stride;
            if (i < g.h && j < g.w) acc += X(n, c, i, j) * Wt(c, o, r, s);
          }
      return acc;
    };
  }
  check_output(name + " forward", y, sample(y_size, full ? SIZE_MAX : kSamples, seed), want);

  // backward-data: dx[n,c,i,j] = sum_{o,r,s} dy[n, o, i*stride + r - pad, j*stride + s - pad] w[c,o,r,s]
  Tensor dx = poisoned(xs, Device::CUDA);
  conv_transpose2d_backward_data(dy.t, w.t, g.stride, g.pad, dx);
  if (full) {
    ref.assign(x_size, 0.0);
    ref::conv_transpose2d_backward_data<double>(g, dy.v.data(), w.v.data(), ref.data());
  } else {
    want = [&](int64_t e) {
      const int j = e % g.w, i = (e / g.w) % g.h, c = (e / (int64_t(g.h) * g.w)) % g.c,
                n = e / (int64_t(g.h) * g.w * g.c);
      double acc = 0.0;
      for (int o = 0; o < g.o; ++o)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int hh = i * g.stride + r - g.pad, ww = j * g.stride + s - g.pad;
            if (hh >= 0 && hh < HO && ww >= 0 && ww < WO) acc += DY(n, o, hh, ww) * Wt(c, o, r, s);
          }
      return acc;
    };
  }
  check_output(name + " backward-data", dx, sample(x_size, full ? SIZE_MAX : kSamples, seed + 1), want);

  // backward-weight, accumulating into random dw
  Tensor dw = dw0.t.clone();
  conv_transpose2d_backward_weight(x.t, dy.t, g.stride, g.pad, dw);
  if (full) {
    ref = dw0.v;
    ref::conv_transpose2d_backward_weight<double>(g, x.v.data(), dy.v.data(), ref.data());
  } else {
    want = [&](int64_t e) {
      const int s = e % g.s, r = (e / g.s) % g.r, o = (e / (int64_t(g.s) * g.r)) % g.o,
                c = e / (int64_t(g.s) * g.r * g.o);
      double acc = dw0.v[e];
      for (int n = 0; n < g.n; ++n)
        for (int i = 0; i < g.h; ++i)
          for (int j = 0; j < g.w; ++j) {
            const int hh = i * g.stride + r - g.pad, ww = j * g.stride + s - g.pad;
            if (hh >= 0 && hh < HO && ww >= 0 && ww < WO) acc += X(n, c, i, j) * DY(n, o, hh, ww);
          }
      return acc;
    };
  }
  check_output(name + " backward-weight", dw, sample(w_size, full ? SIZE_MAX : kSamples / 8, seed + 2), want);
}

// {n, c, h, w, k, r, s, stride, pad}: odd sizes, batch 1 and > 1, stride 1 and 2, padding 0 and 1,
// kernels 1, 3, 4, and sizes that are not multiples of the 64x64 tile or of the 16-step reduction.
const ConvGeom kSmallConvs[] = {
    {1, 3, 9, 7, 5, 3, 3, 1, 1},    {2, 5, 11, 13, 7, 4, 4, 2, 1}, {3, 4, 10, 9, 6, 3, 3, 2, 0},
    {2, 3, 7, 8, 70, 1, 1, 1, 0},   {1, 17, 6, 5, 3, 1, 1, 2, 0},  {3, 6, 17, 15, 65, 4, 4, 1, 1},
    {2, 33, 9, 10, 66, 3, 3, 2, 1}, {5, 2, 23, 19, 3, 4, 3, 2, 1}, {1, 70, 5, 7, 129, 3, 3, 1, 1},
};
// {n, c, h, w, o, r, s, stride, pad}
const ConvTGeom kSmallConvTs[] = {
    {1, 3, 5, 4, 5, 4, 4, 2, 1},   {2, 7, 3, 5, 6, 4, 4, 2, 1},  {3, 4, 6, 5, 3, 3, 3, 1, 1},
    {2, 5, 4, 4, 7, 3, 3, 2, 0},   {1, 6, 5, 7, 70, 1, 1, 1, 0}, {2, 65, 3, 3, 5, 1, 1, 2, 0},
    {2, 33, 7, 6, 66, 4, 4, 2, 1}, {3, 2, 9, 11, 3, 4, 3, 2, 1}, {1, 129, 4, 5, 70, 3, 3, 1, 1},
};

}  // namespace

TEST_CASE("conv2d CUDA kernels match the reference on small odd shapes", "[gpu][conv2d]") {
  uint64_t seed = 100;
  for (const ConvGeom& g : kSmallConvs) check_conv2d(g, true, seed += 10);
}

TEST_CASE("conv_transpose2d CUDA kernels match the reference on small odd shapes", "[gpu][conv_transpose2d]") {
  uint64_t seed = 200;
  for (const ConvTGeom& g : kSmallConvTs) check_conv_transpose2d(g, true, seed += 10);
}

TEST_CASE("conv CUDA kernels match the direct formulas on every pix2pix layer shape", "[gpu][conv][layers]") {
  uint64_t seed = 1000;
  for (int batch : {1, 16})
    for (const LayerShape& l : kLayerShapes) {
      INFO(l.name << " batch " << batch);
      if (l.transposed)
        check_conv_transpose2d(ConvTGeom{batch, l.cin, l.h, l.w, l.cout, l.k, l.k, l.stride, l.pad}, false, seed += 10);
      else
        check_conv2d(ConvGeom{batch, l.cin, l.h, l.w, l.cout, l.k, l.k, l.stride, l.pad}, false, seed += 10);
    }
}

TEST_CASE("conv CUDA kernels are deterministic", "[gpu][conv][determinism]") {
  auto same_bits = [](const Tensor& a, const Tensor& b) {
    const std::vector<float> va = a.to_vector(), vb = b.to_vector();
    return va.size() == vb.size() && std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) == 0;
  };
  // A layer whose backward-weight splits its reduction into many chunks, and one with a single chunk.
  for (const ConvGeom& g : {ConvGeom{16, 64, 128, 128, 128, 4, 4, 2, 1}, ConvGeom{4, 256, 32, 32, 512, 4, 4, 1, 1}}) {
    INFO(conv_name("conv2d", g));
    const Input x = make_input({g.n, g.c, g.h, g.w}, 7), w = make_input({g.k, g.c, g.r, g.s}, 8),
                b = make_input({g.k}, 9), dy = make_input({g.n, g.k, g.p(), g.q()}, 10),
                dw0 = make_input({g.k, g.c, g.r, g.s}, 11), db0 = make_input({g.k}, 12), bt = make_input({g.c}, 13);
    Tensor y[2], dx[2], dw[2], db[2], yt[2], dxt[2], dwt[2];
    const ConvTGeom t{g.n, g.k, g.p(), g.q(), g.c, g.r, g.s, g.stride, g.pad};  // maps dy's shape back to x's
    for (int run = 0; run < 2; ++run) {
      y[run] = poisoned({g.n, g.k, g.p(), g.q()}, Device::CUDA);
      conv2d_forward(x.t, w.t, &b.t, g.stride, g.pad, y[run]);
      dx[run] = poisoned({g.n, g.c, g.h, g.w}, Device::CUDA);
      conv2d_backward_data(dy.t, w.t, g.stride, g.pad, dx[run]);
      dw[run] = dw0.t.clone();
      conv2d_backward_weight(x.t, dy.t, g.stride, g.pad, dw[run]);
      db[run] = db0.t.clone();
      bias_backward(dy.t, db[run]);
      yt[run] = poisoned({t.n, t.o, t.ho(), t.wo()}, Device::CUDA);
      conv_transpose2d_forward(dy.t, w.t, &bt.t, t.stride, t.pad, yt[run]);
      dxt[run] = poisoned({t.n, t.c, t.h, t.w}, Device::CUDA);
      conv_transpose2d_backward_data(x.t, w.t, t.stride, t.pad, dxt[run]);
      dwt[run] = dw0.t.clone();
      conv_transpose2d_backward_weight(dy.t, x.t, t.stride, t.pad, dwt[run]);
    }
    CHECK(same_bits(y[0], y[1]));
    CHECK(same_bits(dx[0], dx[1]));
    CHECK(same_bits(dw[0], dw[1]));
    CHECK(same_bits(db[0], db[1]));
    CHECK(same_bits(yt[0], yt[1]));
    CHECK(same_bits(dxt[0], dxt[1]));
    CHECK(same_bits(dwt[0], dwt[1]));
  }
}

TEST_CASE("conv2d CUDA gradients match float finite differences of the CUDA forward", "[gpu][conv2d][gradcheck]") {
  // L = <conv2d(x, w, b), u> evaluated on the GPU (the dot in double on the host). The op is linear in
  // each input, so central differences have no truncation error at any h; h = 0.25 keeps the float
  // rounding of y (~1e-7 relative, |L| ~ 10) divided by 2h near 1e-6 of the O(1) gradients. Tolerance
  // 1e-4: a wrong tap, sign or missing term gives O(1).
  const ConvGeom g{2, 3, 7, 6, 4, 4, 4, 2, 1};
  const Shape xs{g.n, g.c, g.h, g.w}, ws{g.k, g.c, g.r, g.s}, ys{g.n, g.k, g.p(), g.q()};
  const Input x = make_input(xs, 301), w = make_input(ws, 302), b = make_input({g.k}, 303), u = make_input(ys, 304);
  auto loss = [&](const std::vector<double>& xv, const std::vector<double>& wv, const std::vector<double>& bv) {
    const Tensor tx = tensor_of(xs, xv, Device::CUDA), tw = tensor_of(ws, wv, Device::CUDA),
                 tb = tensor_of({g.k}, bv, Device::CUDA);
    Tensor y = poisoned(ys, Device::CUDA);
    conv2d_forward(tx, tw, &tb, g.stride, g.pad, y);
    const std::vector<float> yv = y.to_vector();
    double l = 0.0;
    for (size_t i = 0; i < yv.size(); ++i) l += double(yv[i]) * u.v[i];
    return l;
  };
  // Analytic gradients on the GPU; dw and db start at zero here so they read directly.
  Tensor dx = poisoned(xs, Device::CUDA), dw = Tensor::zeros(ws, Device::CUDA), db = Tensor::zeros({g.k}, Device::CUDA);
  conv2d_backward_data(u.t, w.t, g.stride, g.pad, dx);
  conv2d_backward_weight(x.t, u.t, g.stride, g.pad, dw);
  bias_backward(u.t, db);
  const double h = 0.25;
  struct Param {
    const char* name;
    const std::vector<double>* value;
    std::vector<float> grad;
  };
  Param params[] = {{"x", &x.v, dx.to_vector()}, {"w", &w.v, dw.to_vector()}, {"b", &b.v, db.to_vector()}};
  for (int pi = 0; pi < 3; ++pi) {
    std::vector<double> numeric, analytic;
    for (int64_t e : sample(int64_t(params[pi].value->size()), 40, 305 + pi)) {
      std::vector<double> v[3] = {x.v, w.v, b.v};
      v[pi][e] += h;
      const double lp = loss(v[0], v[1], v[2]);
      v[pi][e] -= 2 * h;
      const double lm = loss(v[0], v[1], v[2]);
      numeric.push_back((lp - lm) / (2 * h));
      analytic.push_back(params[pi].grad[e]);
    }
    const double err = rel_error(analytic, numeric);
    INFO("d/d" << params[pi].name << ": rel error " << err);
    CHECK(err < 1e-4);
  }
}
