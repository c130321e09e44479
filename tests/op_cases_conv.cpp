// The convolution op cases: conv2d and conv_transpose2d, each case running all its passes (forward
// with or without bias, backward-data, backward-weight accumulating into dw, and with a bias the bias
// gradient accumulating into db).
#include <sstream>

#include "kernels/conv2d.h"
#include "kernels/conv_transpose2d.h"
#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "models/unet.h"
#include "runtime/tf32.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

const char* kTolReason =
    "float sums of at most a few 1e5 products of O(1) values in another order: ~1e-7..1e-6; an index bug: O(1)";

OpGrad linear_grad(bool bias) {
  OpGrad g{"y",
           "dy",
           {{"x", "dx"}, {"w", "dw"}},
           1e-7,
           "linear in each input: central differences are exact up to rounding (~1e-9 at h = 1e-6)"};
  if (bias) g.wrt.push_back({"b", "db"});
  g.device_tol = 2e-3;
  g.device_reason =
      "linear, so only the float rounding of y counts: ~1e-7 |L| over a step of 2e-2 is ~1e-4 of the gradients";
  return g;
}

std::string geom_str(const char* op, int n, int c, int h, int w, int k, int r, int s, int stride, int pad, bool bias) {
  std::ostringstream os;
  os << op << " x [" << n << ", " << c << ", " << h << ", " << w << "] " << k << " out, kernel " << r << "x" << s
     << " stride " << stride << " pad " << pad << (bias ? "" : " no bias");
  return os.str();
}

// Args: x, w, dy (in); y, dx (out); dw (inout); then, with a bias, b (in) and db (inout).
enum { X, W, DY, Y, DX, DW, B, DB };

// The args in that order; `bias` is the number of bias channels, 0 for none.
std::vector<OpArg> conv_args(const Shape& xs, const Shape& ws, const Shape& ys, int bias) {
  std::vector<OpArg> args = {
      {"x", xs}, {"w", ws}, {"dy", ys}, {"y", ys, Role::out}, {"dx", xs, Role::out}, {"dw", ws, Role::inout}};
  if (bias > 0) args.insert(args.end(), {{"b", {bias}}, {"db", {bias}, Role::inout}});
  return args;
}

// A product's factor as the kernels multiply it: the float, or with tf32 its TF32 rounding.
double factor(double v, bool tf32) { return tf32 ? double(tf32_round(float(v))) : v; }
std::vector<double> factors(const std::vector<double>& v, bool tf32) {
  std::vector<double> f(v.size());
  for (size_t i = 0; i < v.size(); ++i) f[i] = factor(v[i], tf32);
  return f;
}

// The longest sum of products of one output among a convolution's GEMMs, an upper bound over conv2d
// (C R S forward, K R S backward-data, N P Q backward-weight) and conv_transpose2d (the same with
// the roles exchanged): cin, cout, the kernel and both sides' pixels.
int64_t longest_sum(int n, int cin, int cout, int r, int s, int64_t in_hw, int64_t out_hw) {
  return std::max({int64_t(cin) * r * s, int64_t(cout) * r * s, n * in_hw, n * out_hw});
}

// The CUDA run at precision p (the setting restored after it, also on an error); the CPU reference
// ignores it. A TF32 case also gets its references on TF32 factors (OpCase::tf32), and no gradient
// modes: those run on its FP32 twin, whose kernels index alike.
template <class Run>
void set_precision(OpCase& c, ConvPrecision p, Run run) {
  c.run = [p, run](std::vector<Tensor>& t) {
    const ConvPrecisionScope scope(p);
    run(t);
  };
  if (p == ConvPrecision::fp32) return;
  c.name += " [tf32]";
  c.grad.reset();
}

// conv2d's passes in double, the factors of every product as `tf32` says (the bias gradient is a
// sum of dy, no product: always dy as it is).
void conv2d_reference(const ConvGeom& g, bool bias, bool tf32, Arrays& a) {
  const std::vector<double> x = factors(a[X], tf32), w = factors(a[W], tf32), dy = factors(a[DY], tf32);
  ref::conv2d_forward<double>(g, x.data(), w.data(), bias ? a[B].data() : nullptr, a[Y].data());
  ref::conv2d_backward_data<double>(g, dy.data(), w.data(), a[DX].data());
  ref::conv2d_backward_weight<double>(g, x.data(), dy.data(), a[DW].data());
  if (bias) ref::bias_backward<double>(g.n, g.k, int64_t(g.p()) * g.q(), a[DY].data(), a[DB].data());
}

// The formulas of kernels/conv2d.h, element by element, factors as in conv2d_reference.
ElementFn conv2d_element(const ConvGeom& g, bool bias, bool tf32) {
  return [g, bias, tf32](const Arrays& a, size_t out, int64_t i) {
    const int P = g.p(), Q = g.q();
    auto x = [&](int n, int ch, int h, int w) {
      return factor(a[X][((int64_t(n) * g.c + ch) * g.h + h) * g.w + w], tf32);
    };
    auto wt = [&](int k, int ch, int r, int s) {
      return factor(a[W][((int64_t(k) * g.c + ch) * g.r + r) * g.s + s], tf32);
    };
    auto dy = [&](int n, int k, int p, int q) { return factor(a[DY][((int64_t(n) * g.k + k) * P + p) * Q + q], tf32); };
    double acc = 0.0;
    if (out == Y) {
      const int q = i % Q, p = i / Q % P, k = i / (int64_t(P) * Q) % g.k, n = i / (int64_t(P) * Q * g.k);
      acc = bias ? a[B][k] : 0.0;
      for (int ch = 0; ch < g.c; ++ch)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int h = p * g.stride + r - g.pad, w = q * g.stride + s - g.pad;
            if (h >= 0 && h < g.h && w >= 0 && w < g.w) acc += x(n, ch, h, w) * wt(k, ch, r, s);
          }
    } else if (out == DX) {
      const int w = i % g.w, h = i / g.w % g.h, ch = i / (int64_t(g.h) * g.w) % g.c, n = i / (int64_t(g.h) * g.w * g.c);
      for (int k = 0; k < g.k; ++k)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int ph = h + g.pad - r, pw = w + g.pad - s;
            if (ph < 0 || pw < 0 || ph % g.stride || pw % g.stride) continue;
            if (ph / g.stride < P && pw / g.stride < Q) acc += dy(n, k, ph / g.stride, pw / g.stride) * wt(k, ch, r, s);
          }
    } else if (out == DW) {
      const int s = i % g.s, r = i / g.s % g.r, ch = i / (int64_t(g.s) * g.r) % g.c, k = i / (int64_t(g.s) * g.r * g.c);
      acc = a[DW][i];
      for (int n = 0; n < g.n; ++n)
        for (int p = 0; p < P; ++p)
          for (int q = 0; q < Q; ++q) {
            const int h = p * g.stride + r - g.pad, w = q * g.stride + s - g.pad;
            if (h >= 0 && h < g.h && w >= 0 && w < g.w) acc += dy(n, int(k), p, q) * x(n, ch, h, w);
          }
    } else {  // DB
      acc = a[DB][i];
      for (int n = 0; n < g.n; ++n)
        for (int pq = 0; pq < P * Q; ++pq) acc += a[DY][(int64_t(n) * g.k + i) * P * Q + pq];
    }
    return acc;
  };
}

OpCase conv2d_case(const ConvGeom& g, bool with_grad, bool sampled, ConvPrecision p, bool bias = true) {
  OpCase c;
  c.name = geom_str("conv2d", g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.stride, g.pad, bias);
  c.args = conv_args({g.n, g.c, g.h, g.w}, {g.k, g.c, g.r, g.s}, {g.n, g.k, g.p(), g.q()}, bias ? g.k : 0);
  c.reference = [g, bias](Arrays& a) { conv2d_reference(g, bias, false, a); };
  c.tol_reason = kTolReason;
  if (with_grad) c.grad = linear_grad(bias);
  if (sampled) c.element = conv2d_element(g, bias, false);
  set_precision(c, p, [g, bias](std::vector<Tensor>& t) {
    conv2d_forward(t[X], t[W], bias ? &t[B] : nullptr, g.stride, g.pad, t[Y]);
    conv2d_backward_data(t[DY], t[W], g.stride, g.pad, t[DX]);
    conv2d_backward_weight(t[X], t[DY], g.stride, g.pad, t[DW]);
    if (bias) bias_backward(t[DY], t[DB]);
  });
  if (p == ConvPrecision::tf32)
    c.tf32 = Tf32Reference{[g, bias](Arrays& a) { conv2d_reference(g, bias, true, a); },
                           sampled ? conv2d_element(g, bias, true) : ElementFn(),
                           longest_sum(g.n, g.c, g.k, g.r, g.s, int64_t(g.h) * g.w, int64_t(g.p()) * g.q())};
  return c;
}

// conv_transpose2d's passes in double, factors as in conv2d_reference.
void conv_transpose2d_reference(const ConvTGeom& g, bool bias, bool tf32, Arrays& a) {
  const std::vector<double> x = factors(a[X], tf32), w = factors(a[W], tf32), dy = factors(a[DY], tf32);
  ref::conv_transpose2d_forward<double>(g, x.data(), w.data(), bias ? a[B].data() : nullptr, a[Y].data());
  ref::conv_transpose2d_backward_data<double>(g, dy.data(), w.data(), a[DX].data());
  ref::conv_transpose2d_backward_weight<double>(g, x.data(), dy.data(), a[DW].data());
  if (bias) ref::bias_backward<double>(g.n, g.o, int64_t(g.ho()) * g.wo(), a[DY].data(), a[DB].data());
}

// y[n,o,hh,ww] = b[o] + sum over (c, r, s) with hh = i*stride + r - pad, ww = j*stride + s - pad.
ElementFn conv_transpose2d_element(const ConvTGeom& g, bool bias, bool tf32) {
  const int HO = g.ho(), WO = g.wo();
  return [g, bias, tf32, HO, WO](const Arrays& a, size_t out, int64_t e) {
    auto x = [&](int n, int ch, int i, int j) {
      return factor(a[X][((int64_t(n) * g.c + ch) * g.h + i) * g.w + j], tf32);
    };
    auto wt = [&](int ch, int o, int r, int s) {
      return factor(a[W][((int64_t(ch) * g.o + o) * g.r + r) * g.s + s], tf32);
    };
    auto dy = [&](int n, int o, int hh, int ww) {
      return factor(a[DY][((int64_t(n) * g.o + o) * HO + hh) * WO + ww], tf32);
    };
    double acc = 0.0;
    if (out == Y) {
      const int ww = e % WO, hh = e / WO % HO, o = e / (int64_t(HO) * WO) % g.o, n = e / (int64_t(HO) * WO * g.o);
      acc = bias ? a[B][o] : 0.0;
      for (int ch = 0; ch < g.c; ++ch)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int ih = hh + g.pad - r, jw = ww + g.pad - s;
            if (ih < 0 || jw < 0 || ih % g.stride || jw % g.stride) continue;
            if (ih / g.stride < g.h && jw / g.stride < g.w)
              acc += x(n, ch, ih / g.stride, jw / g.stride) * wt(ch, o, r, s);
          }
    } else if (out == DX) {
      const int j = e % g.w, i = e / g.w % g.h, ch = e / (int64_t(g.h) * g.w) % g.c, n = e / (int64_t(g.h) * g.w * g.c);
      for (int o = 0; o < g.o; ++o)
        for (int r = 0; r < g.r; ++r)
          for (int s = 0; s < g.s; ++s) {
            const int hh = i * g.stride + r - g.pad, ww = j * g.stride + s - g.pad;
            if (hh >= 0 && hh < HO && ww >= 0 && ww < WO) acc += dy(n, o, hh, ww) * wt(ch, o, r, s);
          }
    } else if (out == DW) {
      const int s = e % g.s, r = e / g.s % g.r, o = e / (int64_t(g.s) * g.r) % g.o, ch = e / (int64_t(g.s) * g.r * g.o);
      acc = a[DW][e];
      for (int n = 0; n < g.n; ++n)
        for (int i = 0; i < g.h; ++i)
          for (int j = 0; j < g.w; ++j) {
            const int hh = i * g.stride + r - g.pad, ww = j * g.stride + s - g.pad;
            if (hh >= 0 && hh < HO && ww >= 0 && ww < WO) acc += x(n, ch, i, j) * dy(n, o, hh, ww);
          }
    } else {  // DB
      acc = a[DB][e];
      for (int n = 0; n < g.n; ++n)
        for (int hw = 0; hw < HO * WO; ++hw) acc += a[DY][(int64_t(n) * g.o + e) * HO * WO + hw];
    }
    return acc;
  };
}

OpCase conv_transpose2d_case(const ConvTGeom& g, bool with_grad, bool sampled, ConvPrecision p, bool bias = true) {
  OpCase c;
  c.name = geom_str("conv_transpose2d", g.n, g.c, g.h, g.w, g.o, g.r, g.s, g.stride, g.pad, bias) +
           (g.opad ? " output_padding " + std::to_string(g.opad) : "");
  c.args = conv_args({g.n, g.c, g.h, g.w}, {g.c, g.o, g.r, g.s}, {g.n, g.o, g.ho(), g.wo()}, bias ? g.o : 0);
  c.reference = [g, bias](Arrays& a) { conv_transpose2d_reference(g, bias, false, a); };
  c.tol_reason = kTolReason;
  if (with_grad) c.grad = linear_grad(bias);
  if (sampled) c.element = conv_transpose2d_element(g, bias, false);
  set_precision(c, p, [g, bias](std::vector<Tensor>& t) {
    conv_transpose2d_forward(t[X], t[W], bias ? &t[B] : nullptr, g.stride, g.pad, g.opad, t[Y]);
    conv_transpose2d_backward_data(t[DY], t[W], g.stride, g.pad, g.opad, t[DX]);
    conv_transpose2d_backward_weight(t[X], t[DY], g.stride, g.pad, g.opad, t[DW]);
    if (bias) bias_backward(t[DY], t[DB]);
  });
  if (p == ConvPrecision::tf32)
    c.tf32 = Tf32Reference{[g, bias](Arrays& a) { conv_transpose2d_reference(g, bias, true, a); },
                           sampled ? conv_transpose2d_element(g, bias, true) : ElementFn(),
                           longest_sum(g.n, g.c, g.o, g.r, g.s, int64_t(g.h) * g.w, int64_t(g.ho()) * g.wo())};
  return c;
}

// A layer with a reflect_pad reads the padded input: its conv sees (h + 2 reflect_pad) x (w + 2 reflect_pad).
void add_layer(std::vector<OpCase>& cases, const ConvLayer& l, int batch, bool sampled, ConvPrecision p) {
  const int h = l.h + 2 * l.reflect_pad, w = l.w + 2 * l.reflect_pad;
  OpCase c = l.transposed
                 ? conv_transpose2d_case({batch, l.cin, h, w, l.cout, l.k, l.k, l.stride, l.pad, l.output_padding},
                                         false, sampled, p, l.bias)
                 : conv2d_case({batch, l.cin, h, w, l.cout, l.k, l.k, l.stride, l.pad}, false, sampled, p, l.bias);
  c.name = l.name + " batch " + std::to_string(batch) + ": " + c.name;
  cases.push_back(std::move(c));
}

}  // namespace

std::vector<ConvLayer> pix2pix_layers(ShapeSet set) {
  UNetOptions g;
  PatchGANOptions d;
  int size = 256;
  if (set == ShapeSet::reduced) {
    g.num_downs = 5;
    g.ngf = 2;
    d.ndf = 2;
    size = 32;
  }
  std::vector<ConvLayer> layers = UNet::layers(g, size, size), dl = PatchGAN::layers(d, size, size);
  layers.insert(layers.end(), dl.begin(), dl.end());
  return layers;
}

std::vector<ConvLayer> cyclegan_layers(ShapeSet set) {
  ResnetOptions g;
  PatchGANOptions d;
  d.input_nc = 3;  // CycleGAN's discriminators see one image, not a pair
  d.norm = NormKind::instance;
  int size = 256;
  if (set == ShapeSet::reduced) {
    g.ngf = 2;
    g.n_blocks = 1;  // every block is the same
    d.ndf = 2;
    size = 32;
  }
  std::vector<ConvLayer> layers = ResnetGenerator::layers(g, size, size, "G_A"),
                         dl = PatchGAN::layers(d, size, size, "D_A");
  layers.insert(layers.end(), dl.begin(), dl.end());
  return layers;
}

std::vector<OpCase> conv_cases(ShapeSet set, ConvPrecision p) {
  std::vector<OpCase> cases;
  // {n, c, h, w, k, r, s, stride, pad}. Small enough for the double finite differences: odd sizes,
  // batch 1 to 3, stride 1 and 2, padding 0 and 1, kernels 1, 3 and 4 (square or not).
  for (const ConvGeom& g :
       {ConvGeom{1, 2, 5, 7, 3, 3, 3, 1, 1}, ConvGeom{2, 3, 7, 6, 2, 3, 3, 2, 1}, ConvGeom{3, 2, 6, 5, 3, 1, 1, 1, 0},
        ConvGeom{2, 2, 7, 6, 2, 1, 1, 2, 0}, ConvGeom{2, 3, 9, 8, 2, 4, 4, 2, 1}, ConvGeom{1, 3, 8, 9, 2, 4, 4, 1, 1},
        ConvGeom{2, 2, 7, 7, 3, 3, 3, 2, 0}, ConvGeom{3, 2, 5, 6, 2, 4, 3, 2, 1}})
    cases.push_back(conv2d_case(g, true, false, p));
  // {n, c, h, w, o, r, s, stride, pad[, output_padding]}
  for (const ConvTGeom& g : {ConvTGeom{1, 2, 3, 4, 3, 4, 4, 2, 1}, ConvTGeom{2, 3, 5, 3, 2, 4, 4, 2, 1},
                             ConvTGeom{3, 2, 4, 5, 2, 3, 3, 1, 1}, ConvTGeom{2, 2, 3, 3, 3, 3, 3, 2, 0},
                             ConvTGeom{2, 3, 5, 4, 2, 1, 1, 1, 0}, ConvTGeom{1, 2, 4, 3, 3, 1, 1, 2, 0},
                             ConvTGeom{2, 2, 3, 4, 2, 3, 4, 2, 1}})
    cases.push_back(conv_transpose2d_case(g, true, false, p));
  // output_padding (CycleGAN's k3 s2 p1 up-sampling convs have 1): the extra bottom row and right
  // column hold only the bias; stride 3 with output_padding 2, odd sizes, batch > 1.
  for (const ConvTGeom& g : {ConvTGeom{1, 2, 3, 4, 3, 3, 3, 2, 1, 1}, ConvTGeom{2, 3, 5, 3, 2, 3, 3, 2, 1, 1},
                             ConvTGeom{3, 2, 3, 2, 2, 4, 3, 3, 1, 2}, ConvTGeom{2, 2, 4, 5, 3, 1, 1, 2, 0, 1}})
    cases.push_back(conv_transpose2d_case(g, true, false, p));
  // Without a bias (the convolutions followed by batch norm): the forward's null bias, no db.
  cases.push_back(conv_transpose2d_case(ConvTGeom{2, 3, 5, 3, 2, 4, 4, 2, 1}, true, false, p, false));
  // The tile kernel's edges: sizes that are not multiples of the 64x64 tile or of the 16-step
  // reduction, more than one tile each way, and backward-weight reductions long enough for several
  // split-K chunks (3x6x17x15 -> 65: 672 = 3 chunks).
  for (const ConvGeom& g : {ConvGeom{1, 3, 9, 7, 5, 3, 3, 1, 1}, ConvGeom{2, 5, 11, 13, 7, 4, 4, 2, 1},
                            ConvGeom{3, 4, 10, 9, 6, 3, 3, 2, 0}, ConvGeom{2, 3, 7, 8, 70, 1, 1, 1, 0},
                            ConvGeom{1, 17, 6, 5, 3, 1, 1, 2, 0}, ConvGeom{3, 6, 17, 15, 65, 4, 4, 1, 1},
                            ConvGeom{2, 33, 9, 10, 66, 3, 3, 2, 1}, ConvGeom{5, 2, 23, 19, 3, 4, 3, 2, 1},
                            ConvGeom{1, 70, 5, 7, 129, 3, 3, 1, 1}, ConvGeom{4, 3, 24, 24, 5, 4, 4, 1, 1}})
    cases.push_back(conv2d_case(g, false, false, p));
  for (const ConvTGeom& g : {ConvTGeom{1, 3, 5, 4, 5, 4, 4, 2, 1}, ConvTGeom{2, 7, 3, 5, 6, 4, 4, 2, 1},
                             ConvTGeom{3, 4, 6, 5, 3, 3, 3, 1, 1}, ConvTGeom{2, 5, 4, 4, 7, 3, 3, 2, 0},
                             ConvTGeom{1, 6, 5, 7, 70, 1, 1, 1, 0}, ConvTGeom{2, 65, 3, 3, 5, 1, 1, 2, 0},
                             ConvTGeom{2, 33, 7, 6, 66, 4, 4, 2, 1}, ConvTGeom{3, 2, 9, 11, 3, 4, 3, 2, 1},
                             ConvTGeom{1, 129, 4, 5, 70, 3, 3, 1, 1}, ConvTGeom{2, 7, 5, 9, 66, 3, 3, 2, 1, 1},
                             ConvTGeom{3, 65, 7, 6, 5, 3, 3, 2, 1, 1}})
    cases.push_back(conv_transpose2d_case(g, false, false, p));
  // backward-data by stride phase and the narrow tile (conv2d.cu), beyond the cases above (which
  // already have 1x1 stride-2 kernels, whose odd phases have no taps, stride 3, and output_padding):
  // a phase with no rows (H = 1 < stride); one input channel (a 1-column backward-data) with 4x4
  // taps on odd sizes; 8 columns (a full narrow tile) beside 9 (the wide tile, one column in its
  // second tile); transposed 3x3 (output_padding 1) and 4x4 convs to 3 channels, as the generators'
  // last layers, with more than one 256-row narrow tile per phase and several reduction steps.
  for (const ConvGeom& g : {ConvGeom{2, 3, 1, 5, 2, 3, 3, 2, 1}, ConvGeom{2, 1, 9, 8, 3, 4, 4, 2, 1},
                            ConvGeom{2, 9, 11, 10, 8, 3, 3, 2, 1}})
    cases.push_back(conv2d_case(g, false, false, p));
  for (const ConvTGeom& g : {ConvTGeom{2, 20, 12, 11, 3, 3, 3, 2, 1, 1}, ConvTGeom{2, 24, 12, 11, 3, 4, 4, 2, 1}})
    cases.push_back(conv_transpose2d_case(g, false, false, p));
  // Every layer of the pix2pix and CycleGAN networks, at batch 1 and more (CycleGAN trains at batch 1).
  const bool full = set == ShapeSet::full;
  for (int batch : {1, full ? 16 : 2}) {
    for (const ConvLayer& l : pix2pix_layers(set)) add_layer(cases, l, batch, full, p);
    for (const ConvLayer& l : cyclegan_layers(set)) add_layer(cases, l, batch, full, p);
  }
  return cases;
}

}  // namespace p2p::testing
