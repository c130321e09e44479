// The norm op cases: batch_norm2d in training (forward with saved and running statistics, then the
// backward) and in eval (running statistics), instance_norm2d; with and without the affine
// parameters, at aligned and misaligned addresses.
#include "kernels/batch_norm2d.h"
#include "kernels/instance_norm2d.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

constexpr float kEps = 1e-5f, kMomentum = 0.1f;
const char* kTolReason = "float sums in another order than the double reference, of values of order 1: ~1e-6";
const char* kDeviceReason =
    "L summed from float outputs (rounding ~1e-6 over a step of 2e-2: ~1e-4) plus O(h^2) truncation (~1e-4)";

enum class Kind { train, eval, instance };
struct Options {
  Kind kind;
  bool affine = true, running = true, misaligned = false;
};

// Indices of the arguments in a case; -1 when absent.
struct Idx {
  int x = -1, gamma = -1, beta = -1, dy = -1, rmean = -1, rvar = -1, y = -1, mean = -1, invstd = -1, dx = -1,
      dgamma = -1, dbeta = -1;
};
double* ptr(Arrays& a, int i) { return i < 0 ? nullptr : a[i].data(); }
Tensor* ptr(std::vector<Tensor>& t, int i) { return i < 0 ? nullptr : &t[i]; }

OpCase norm_case(const NormGeom& g, const Options& o) {
  OpCase c;
  const char* op = o.kind == Kind::train  ? "batch_norm train "
                   : o.kind == Kind::eval ? "batch_norm eval "
                                          : "instance_norm ";
  c.name = op + shape_str({g.n, g.c, g.h, g.w}) + (o.affine ? " affine" : "") +
           (o.kind == Kind::train && !o.running ? " no-running" : "") + (o.misaligned ? " misaligned" : "");
  c.misaligned = o.misaligned;
  const Shape xs{g.n, g.c, g.h, g.w}, per_channel{g.c};
  const Shape stats = o.kind == Kind::instance ? Shape{g.n, g.c} : per_channel;
  Idx ix;
  auto add = [&](int& i, OpArg a) {
    i = int(c.args.size());
    c.args.push_back(std::move(a));
  };
  add(ix.x, {"x", xs, Role::in, -1.0, 1.0, 0.0, 2.0});
  add(ix.dy, {"dy", xs});
  if (o.affine) {
    add(ix.gamma, {"gamma", per_channel, Role::in, 0.5, 1.5});
    add(ix.beta, {"beta", per_channel});
  }
  const bool uses_running = o.kind == Kind::eval || (o.kind == Kind::train && o.running);
  if (uses_running) {
    const Role r = o.kind == Kind::eval ? Role::in : Role::inout;
    add(ix.rmean, {"running_mean", per_channel, r});
    add(ix.rvar, {"running_var", per_channel, r, 0.5, 1.5});
  }
  add(ix.y, {"y", xs, Role::out});
  if (o.kind != Kind::eval) {
    add(ix.mean, {"save_mean", stats, Role::out});
    add(ix.invstd, {"save_invstd", stats, Role::out});
  }
  add(ix.dx, {"dx", xs, Role::out});
  if (o.affine) {
    add(ix.dgamma, {"dgamma", per_channel, Role::inout});
    add(ix.dbeta, {"dbeta", per_channel, Role::inout});
  }
  const Kind kind = o.kind;
  c.reference = [g, ix, kind](Arrays& a) {
    const double* x = ptr(a, ix.x);
    if (kind == Kind::train) {
      ref::batch_norm_forward_train<double>(g, x, ptr(a, ix.gamma), ptr(a, ix.beta), kEps, kMomentum, ptr(a, ix.y),
                                            ptr(a, ix.mean), ptr(a, ix.invstd), ptr(a, ix.rmean), ptr(a, ix.rvar));
      ref::batch_norm_backward_train<double>(g, ptr(a, ix.dy), x, ptr(a, ix.gamma), ptr(a, ix.mean), ptr(a, ix.invstd),
                                             ptr(a, ix.dx), ptr(a, ix.dgamma), ptr(a, ix.dbeta));
    } else if (kind == Kind::eval) {
      ref::batch_norm_forward_eval<double>(g, x, ptr(a, ix.gamma), ptr(a, ix.beta), ptr(a, ix.rmean), ptr(a, ix.rvar),
                                           kEps, ptr(a, ix.y));
      ref::batch_norm_backward_eval<double>(g, ptr(a, ix.dy), x, ptr(a, ix.gamma), ptr(a, ix.rmean), ptr(a, ix.rvar),
                                            kEps, ptr(a, ix.dx), ptr(a, ix.dgamma), ptr(a, ix.dbeta));
    } else {
      ref::instance_norm_forward<double>(g, x, ptr(a, ix.gamma), ptr(a, ix.beta), kEps, ptr(a, ix.y), ptr(a, ix.mean),
                                         ptr(a, ix.invstd));
      ref::instance_norm_backward<double>(g, ptr(a, ix.dy), x, ptr(a, ix.gamma), ptr(a, ix.mean), ptr(a, ix.invstd),
                                          ptr(a, ix.dx), ptr(a, ix.dgamma), ptr(a, ix.dbeta));
    }
  };
  c.run = [ix, kind](std::vector<Tensor>& t) {
    const Tensor &x = t[ix.x], &dy = t[ix.dy];
    if (kind == Kind::train) {
      batch_norm2d_forward_train(x, ptr(t, ix.gamma), ptr(t, ix.beta), kEps, kMomentum, t[ix.y], t[ix.mean],
                                 t[ix.invstd], ptr(t, ix.rmean), ptr(t, ix.rvar));
      batch_norm2d_backward_train(dy, x, ptr(t, ix.gamma), t[ix.mean], t[ix.invstd], t[ix.dx], ptr(t, ix.dgamma),
                                  ptr(t, ix.dbeta));
    } else if (kind == Kind::eval) {
      batch_norm2d_forward_eval(x, ptr(t, ix.gamma), ptr(t, ix.beta), t[ix.rmean], t[ix.rvar], kEps, t[ix.y]);
      batch_norm2d_backward_eval(dy, x, ptr(t, ix.gamma), t[ix.rmean], t[ix.rvar], kEps, t[ix.dx], ptr(t, ix.dgamma),
                                 ptr(t, ix.dbeta));
    } else {
      instance_norm2d_forward(x, ptr(t, ix.gamma), ptr(t, ix.beta), kEps, t[ix.y], t[ix.mean], t[ix.invstd]);
      instance_norm2d_backward(dy, x, ptr(t, ix.gamma), t[ix.mean], t[ix.invstd], t[ix.dx], ptr(t, ix.dgamma),
                               ptr(t, ix.dbeta));
    }
  };
  c.tol_reason = kTolReason;
  OpGrad gr{
      "y", "dy", {{"x", "dx"}}, 1e-6, "smooth in double: O(h^2) truncation and ~1e-10 rounding in the differences"};
  const int64_t group = kind == Kind::train ? int64_t(g.n) * g.hw() : kind == Kind::instance ? g.hw() : 0;
  if (group == 2) {
    c.tol = 1e-3;
    c.tol_reason =
        "M = 2 values per group: xhat = +-1, so dx = gamma invstd (dy - mean dy - xhat mean(dy xhat)) cancels to "
        "~1e-4 of its terms, whose float rounding (~1e-7) is then up to ~1e-3 of dx";
    gr.tol = 1e-5;
    gr.reason =
        "M = 2 values per group: xhat = +-1 whatever x, so dL/dx is only O(eps / d^3) (~1e-4 here) and the "
        "differences' ~1e-10 rounding is ~1e-6 of it";
  }
  if (kind == Kind::eval) {
    gr.tol = 1e-8;
    gr.reason = "linear in x, gamma and beta: central differences exact up to rounding";
  }
  if (o.affine) gr.wrt.insert(gr.wrt.end(), {{"gamma", "dgamma"}, {"beta", "dbeta"}});
  // Float differences cannot resolve dL/dx ~ 1e-4 of |L| when M = 2: only the larger groups.
  gr.device_tol = group == 2 ? 0.0 : 2e-3;
  gr.device_reason = kDeviceReason;
  c.grad = gr;
  return c;
}

void add_all_kinds(std::vector<OpCase>& cases, const NormGeom& g, bool with_grad) {
  std::vector<OpCase> kinds;
  for (bool affine : {true, false}) {
    kinds.push_back(norm_case(g, {Kind::train, affine, true}));
    kinds.push_back(norm_case(g, {Kind::eval, affine}));
    kinds.push_back(norm_case(g, {Kind::instance, affine}));
  }
  kinds.push_back(norm_case(g, {Kind::train, true, false}));
  for (Kind k : {Kind::train, Kind::eval, Kind::instance}) kinds.push_back(norm_case(g, {k, true, true, true}));
  for (OpCase& c : kinds) {
    if (!with_grad) c.grad.reset();
    cases.push_back(std::move(c));
  }
}

}  // namespace

std::vector<OpCase> norm_cases(ShapeSet set) {
  std::vector<OpCase> cases;
  // Batch 1 and > 1, odd sizes (the scalar path), hw % 4 == 0 (float4), 1x1 and 1x3 images, M = 2
  // values per channel (the smallest training batch norm allows), and groups cut into several
  // chunks with chunk boundaries inside an image (4x3x33x35, 3x2x48x48).
  for (const NormGeom& g : {NormGeom{1, 3, 5, 7}, NormGeom{3, 2, 3, 5}, NormGeom{2, 4, 1, 1}, NormGeom{4, 3, 2, 1},
                            NormGeom{2, 3, 4, 5}, NormGeom{5, 2, 1, 3}, NormGeom{4, 3, 33, 35}, NormGeom{3, 2, 48, 48}})
    add_all_kinds(cases, g, /*with_grad=*/g.size() < 1000);  // the large ones are for the chunked reductions
  // The norm layers of the pix2pix networks (after each conv with `norm`): batch norm, and instance
  // norm without affine parameters as pix2pix's --norm instance. Full: unet_256 and the 70x70
  // PatchGAN at 256x256, batch 1 and 16; reduced: the same kinds with 2 to 16 channels at 32x32.
  const bool full = set == ShapeSet::full;
  for (int batch : {1, full ? 16 : 2})
    for (const ConvLayer& l : pix2pix_layers(set)) {
      if (!l.norm) continue;
      const NormGeom g{batch, l.cout, l.out_h(), l.out_w()};
      for (OpCase c : {norm_case(g, {Kind::train, true, true}), norm_case(g, {Kind::eval, true}),
                       norm_case(g, {Kind::instance, false})}) {
        c.name = l.name + " batch " + std::to_string(batch) + ": " + c.name;
        c.grad.reset();  // the double finite differences run on the small shapes above
        cases.push_back(std::move(c));
      }
    }
  // CycleGAN's norms: instance norm without affine parameters after every conv that has `norm`.
  for (int batch : {1, full ? 16 : 2})
    for (const ConvLayer& l : cyclegan_layers(set)) {
      if (!l.norm) continue;
      OpCase c = norm_case(NormGeom{batch, l.cout, l.out_h(), l.out_w()}, {Kind::instance, false});
      c.name = l.name + " batch " + std::to_string(batch) + ": " + c.name;
      c.grad.reset();
      cases.push_back(std::move(c));
    }
  return cases;
}

}  // namespace p2p::testing
