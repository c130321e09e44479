// The pointwise op cases: activations, dropout, concat, the losses, Adam and axpy, each at odd sizes
// and at aligned and misaligned addresses (the float4 paths and the scalar ones).
#include "kernels/activation.h"
#include "kernels/adam.h"
#include "kernels/concat.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

const char* kTolReason = "a few float roundings per element (tanhf, expf, log1pf: a few ulp): ~1e-7";
const char* kDeviceReason =
    "L summed from float outputs: ~1e-7 |L| over a step of 2e-2 is ~1e-4 of the gradients, plus O(h^2) for the "
    "smooth ones";

OpGrad grad_of(std::vector<std::pair<std::string, std::string>> wrt, double tol, const char* reason) {
  OpGrad g{"y", "dy", std::move(wrt), tol, reason};
  g.device_tol = 5e-3;
  g.device_reason = kDeviceReason;
  return g;
}

std::string where(const char* op, const Shape& s, bool misaligned) {
  return std::string(op) + " " + shape_str(s) + (misaligned ? " misaligned" : "");
}

// Args x, dy (in), y, dx (out): y = f(x), dx = f'(x) dy through the op's backward.
OpCase unary(const char* op, const Shape& s, bool mis, OpArg x, std::function<void(Arrays&)> reference,
             std::function<void(std::vector<Tensor>&)> run, OpGrad grad) {
  OpCase c;
  c.name = where(op, s, mis);
  x.name = "x";
  x.shape = s;
  c.args = {x, {"dy", s}, {"y", s, Role::out}, {"dx", s, Role::out}};
  c.reference = std::move(reference);
  c.run = std::move(run);
  c.tol_reason = kTolReason;
  c.grad = std::move(grad);
  c.misaligned = mis;
  return c;
}

void add_activations(std::vector<OpCase>& cases, const Shape& s, bool mis) {
  const int64_t n = shape_numel(s);
  for (float slope : {0.2f, 0.0f}) {
    // |x| >= 0.05 > h: the finite differences never straddle the kink.
    OpArg x{"x", s, Role::in, -1.0, 1.0, 0.05};
    cases.push_back(unary(
        slope > 0 ? "leaky_relu 0.2" : "relu", s, mis, x,
        [n, slope](Arrays& a) {
          ref::leaky_relu_forward<double>(n, a[0].data(), slope, a[2].data());
          ref::leaky_relu_backward<double>(n, a[0].data(), a[1].data(), slope, a[3].data());
        },
        [slope](std::vector<Tensor>& t) {
          if (slope > 0) {
            leaky_relu_forward(t[0], slope, t[2]);
            leaky_relu_backward(t[0], t[1], slope, t[3]);
          } else {
            relu_forward(t[0], t[2]);
            relu_backward(t[0], t[1], t[3]);
          }
        },
        grad_of({{"x", "dx"}}, 1e-8, "piecewise linear away from the kink: central differences exact up to rounding")));
  }
  // tanh's backward takes the saved output y.
  cases.push_back(unary(
      "tanh", s, mis, {"x", s, Role::in, -4.0, 4.0},
      [n](Arrays& a) {
        ref::tanh_forward<double>(n, a[0].data(), a[2].data());
        ref::tanh_backward<double>(n, a[2].data(), a[1].data(), a[3].data());
      },
      [](std::vector<Tensor>& t) {
        tanh_forward(t[0], t[2]);
        tanh_backward(t[2], t[1], t[3]);
      },
      grad_of({{"x", "dx"}}, 1e-7, "smooth; central-difference error O(h^2) plus rounding ~1e-10 / h")));
  // Dropout: the CUDA kernel draws the mask from the same Philox stream as the reference, so a
  // single differing mask bit is an O(1) error.
  for (float p : {0.5f, 0.3f, 0.0f}) {
    const uint64_t seed = 2024, offset = 17;
    cases.push_back(unary(
        p == 0.5f   ? "dropout 0.5"
        : p == 0.3f ? "dropout 0.3"
                    : "dropout 0",
        s, mis, {"x", s},
        [n, p](Arrays& a) {
          ref::dropout_forward<double>(n, a[0].data(), p, seed, offset, a[2].data());
          ref::dropout_backward<double>(n, a[1].data(), p, seed, offset, a[3].data());
        },
        [p](std::vector<Tensor>& t) {
          if (!t[0].is_cuda()) {
            dropout_forward(t[0], p, seed, offset, t[2]);
            dropout_backward(t[1], p, seed, offset, t[3]);
            return;
          }
          // On CUDA the offset 17 = 3 * 5 + 2 with the 3 read from device memory, as a step that a
          // CUDA graph replays passes its step count (runtime/random.h).
          static AdamDeviceState* const count = [] {
            auto* s = new AdamDeviceState;  // never destroyed, as the other launch-time statics
            s->set(3, 0.0f);
            return s;
          }();
          const DeviceOffset device{count->steps_done(), 5};
          dropout_forward(t[0], p, seed, offset - 3 * 5, t[2], device);
          dropout_backward(t[1], p, seed, offset - 3 * 5, t[3], device);
        },
        grad_of({{"x", "dx"}}, 1e-8, "linear in x for a fixed mask: central differences exact up to rounding")));
  }
}

// The losses: x (and y for l1), the loss's output gradient dy [1] (the backward's scale), loss [1]
// and dx. bce's logits range over [-8, 8), or with `saturated` |x| over [40, 100) (exp(|x|)
// overflows float: the stable form's territory); l1's |x| >= 0.6 > |y| + 0.1 keeps x - y off the kink.
enum class Loss { bce, mse, l1 };
OpCase loss_case(Loss l, const Shape& s, bool mis, float target, bool saturated = false) {
  const int64_t n = shape_numel(s);
  OpCase c;
  const char* op = l == Loss::bce ? "bce_with_logits" : l == Loss::mse ? "mse" : "l1";
  c.name = where(op, s, mis) + (l == Loss::l1 ? "" : " target " + std::to_string(int(target))) +
           (saturated ? " saturated" : "");
  OpArg x{"x", s};
  if (l == Loss::bce) x.lo = -8.0, x.hi = 8.0;
  if (saturated) x.gap = 40.0, x.hi = 100.0;
  if (l == Loss::l1) x.gap = 0.6, x.hi = 1.5;
  c.args = {x, {"t", s, Role::in, -0.5, 0.5}, {"dy", {1}}, {"y", {1}, Role::out}, {"dx", s, Role::out}};
  c.reference = [l, n, target](Arrays& a) {
    const double* x = a[0].data();
    const double scale = a[2][0];
    if (l == Loss::bce) {
      ref::bce_with_logits_forward<double>(n, x, target, a[3].data());
      ref::bce_with_logits_backward<double>(n, x, target, scale, a[4].data());
    } else if (l == Loss::mse) {
      ref::mse_forward<double>(n, x, target, a[3].data());
      ref::mse_backward<double>(n, x, target, scale, a[4].data());
    } else {
      ref::l1_forward<double>(n, x, a[1].data(), a[3].data());
      ref::l1_backward<double>(n, x, a[1].data(), scale, a[4].data());
    }
  };
  c.run = [l, target](std::vector<Tensor>& t) {
    const float scale = t[2].to_vector()[0];
    if (l == Loss::bce) {
      bce_with_logits_forward(t[0], target, t[3]);
      bce_with_logits_backward(t[0], target, scale, t[4]);
    } else if (l == Loss::mse) {
      mse_forward(t[0], target, t[3]);
      mse_backward(t[0], target, scale, t[4]);
    } else {
      l1_forward(t[0], t[1], t[3]);
      l1_backward(t[0], t[1], scale, t[4]);
    }
  };
  // The mean's float sum: (k + 16) 2^-24 relative with k terms per thread (kernels/loss.cu), 4e-6
  // for 16x3x256x256.
  c.tol_reason = "float sums of non-negative terms by a fixed tree: at most ~4e-6 relative";
  c.grad = grad_of({{"x", "dx"}}, 5e-6,
                   "|L| <= 8: its rounding (1e-15) over 2h = 2e-6 is 5e-10, against gradients of order 1/n >= 2.4e-4 "
                   "(n <= 4099): 2e-6; plus bce's O(h^2) truncation");
  if (saturated) {
    c.grad->reason =
        "|L| <= 100 with n = " + std::to_string(n) +
        ": its rounding (~1e-14) over 2h = 2e-6 is ~5e-9, against gradients of 0 or about 1/n: ~1e-6 for n <= 200";
    // Float differences cannot resolve these gradients (1.2e-2 measured in the emulation): that mode skips
    // the case.
    c.grad->device_tol = 0.0;
    c.grad->device_reason =
        "float L ~ 50: its rounding (~4e-6) over a step of 2e-2 is ~2e-4, up to ~3e-2 of gradients |u| / n";
  }
  c.misaligned = mis;
  return c;
}

// Adam: p, m, v updated in place (the change is compared: the update itself, not p), g read.
OpCase adam_case(const Shape& s, bool mis, int64_t step) {
  const int64_t n = shape_numel(s);
  const AdamConfig cfg;
  OpCase c;
  c.name = where("adam", s, mis) + " t " + std::to_string(step);
  c.args = {{"p", s, Role::inout, -1e-3, 1e-3},
            {"g", s, Role::in, -1e-2, 1e-2},
            {"m", s, Role::inout, -1e-2, 1e-2},
            {"v", s, Role::inout, 0.0, 1e-4}};
  c.reference = [n, cfg, step](Arrays& a) {
    ref::adam_step<double>(n, a[0].data(), a[1].data(), a[2].data(), a[3].data(), cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
                           step);
  };
  c.run = [cfg, step](std::vector<Tensor>& t) { adam_step(t[0], t[1], t[2], t[3], cfg, step); };
  c.tol = 1e-4;
  c.tol_reason =
      "the new p, m, v are floats: their rounding (2^-24 of |p| <= 1e-3, |v| <= 1e-4) is up to 6e-5 of the "
      "smallest changes here (p's by ~1e-5, v's by (1 - beta2)(g^2 - v)); a 0.5 % error in p's update fails";
  c.misaligned = mis;
  return c;
}

OpCase axpy_case(const Shape& s, bool mis) {
  const int64_t n = shape_numel(s);
  OpCase c;
  c.name = where("axpy -0.75", s, mis);
  c.args = {{"x", s}, {"y", s, Role::inout}};
  c.reference = [n](Arrays& a) { ref::axpy<double>(n, -0.75, a[0].data(), a[1].data()); };
  c.run = [](std::vector<Tensor>& t) { axpy(-0.75f, t[0], t[1]); };
  c.tol_reason = kTolReason;
  c.misaligned = mis;
  return c;
}

// Channel concatenation [n, ca, h, w] + [n, cb, h, w] and its split.
OpCase concat_case(int n, int ca, int cb, int h, int w, bool mis) {
  const int64_t hw = int64_t(h) * w;
  const Shape sa{n, ca, h, w}, sb{n, cb, h, w}, sy{n, ca + cb, h, w};
  OpCase c;
  c.name = where("concat", sy, mis) + " from " + std::to_string(ca) + " + " + std::to_string(cb);
  c.args = {{"a", sa}, {"b", sb}, {"dy", sy}, {"y", sy, Role::out}, {"da", sa, Role::out}, {"db", sb, Role::out}};
  c.reference = [=](Arrays& a) {
    ref::concat_forward<double>(n, ca, cb, hw, a[0].data(), a[1].data(), a[3].data());
    ref::concat_backward<double>(n, ca, cb, hw, a[2].data(), a[4].data(), a[5].data());
  };
  c.run = [](std::vector<Tensor>& t) {
    concat_forward(t[0], t[1], t[3]);
    concat_backward(t[2], &t[4], &t[5]);
  };
  c.tol_reason = "a copy: exact";
  c.grad = grad_of({{"a", "da"}, {"b", "db"}}, 1e-8, "a copy is linear: central differences exact up to rounding");
  c.misaligned = mis;
  return c;
}

}  // namespace

std::vector<OpCase> pointwise_cases(ShapeSet set) {
  std::vector<OpCase> cases;
  // Odd sizes (float4 bodies with scalar tails), and more elements than two capped grids cover.
  // Each small shape also misaligned (a view one float in: scalar heads, then float4 bodies); the
  // layer shapes (full) as the layers hold them, aligned.
  std::vector<std::pair<Shape, bool>> shapes;
  for (const Shape& s : std::vector<Shape>{{1}, {3}, {2, 3, 5, 7}, {1001}, {4099}})
    for (bool mis : {false, true}) shapes.push_back({s, mis});
  if (set == ShapeSet::full) shapes.insert(shapes.end(), {{{16, 512, 8, 8}, false}, {{16, 64, 128, 128}, false}});
  for (const auto& [s, mis] : shapes) {
    add_activations(cases, s, mis);
    for (float t : {0.0f, 1.0f}) {
      cases.push_back(loss_case(Loss::bce, s, mis, t));
      cases.push_back(loss_case(Loss::mse, s, mis, t));
    }
    cases.push_back(loss_case(Loss::l1, s, mis, 0.0f));
    for (int64_t step : {1, 2, 57}) cases.push_back(adam_case(s, mis, step));
    cases.push_back(axpy_case(s, mis));
  }
  // The losses' two-stage mean with more than 256 x 256 terms: every thread of stage 1 sums several;
  // the PatchGAN's output at batch 16, the L1 over a batch of 16 images (full).
  std::vector<Shape> loss_shapes = {{1, 3, 200, 200}};
  if (set == ShapeSet::full) loss_shapes.insert(loss_shapes.end(), {{16, 1, 30, 30}, {16, 3, 256, 256}});
  for (const Shape& s : loss_shapes)
    for (OpCase c : {loss_case(Loss::bce, s, false, 1.0f), loss_case(Loss::l1, s, true, 0.0f)}) {
      c.grad.reset();  // the finite differences run on the small shapes
      cases.push_back(std::move(c));
    }
  // bce at saturated logits (small: the double finite differences run on it).
  for (float t : {0.0f, 1.0f}) cases.push_back(loss_case(Loss::bce, {2, 1, 5, 7}, false, t, true));
  // Adam over a flat buffer the size of unet_256's parameters (full).
  if (set == ShapeSet::full) cases.push_back(adam_case({54413955}, false, 2));
  // {n, ca, cb, h, w}: odd channel counts and sizes, the U-Net's skip joins.
  for (bool mis : {false, true}) {
    cases.push_back(concat_case(1, 1, 1, 1, 1, mis));
    cases.push_back(concat_case(2, 3, 5, 7, 9, mis));
    cases.push_back(concat_case(3, 2, 1, 4, 4, mis));
  }
  if (set == ShapeSet::full) {
    cases.push_back(concat_case(16, 512, 512, 2, 2, false));
    cases.push_back(concat_case(16, 64, 64, 128, 128, false));
  }
  return cases;
}

}  // namespace p2p::testing
