// The padding op cases: reflection_pad2d forward and backward (the backward adds each output
// gradient into its mirrored source), at pads from 1 to the largest allowed (size - 1), odd and
// non-square sizes, 1-wide borders, batch 1 and > 1, misaligned; then the pads of the CycleGAN
// ResNet generator at its layer sizes.
#include "kernels/reflection_pad2d.h"
#include "tests/op_case.h"

namespace p2p::testing {

namespace {

enum { X, DY, Y, DX };

OpCase reflection_pad_case(const PadGeom& g, bool with_grad, bool misaligned = false) {
  OpCase c;
  const Shape xs{g.n, g.c, g.h, g.w}, ys{g.n, g.c, g.ho(), g.wo()};
  c.name = "reflection_pad2d " + shape_str(xs) + " pad " + std::to_string(g.pad) + (misaligned ? " misaligned" : "");
  c.args = {{"x", xs}, {"dy", ys}, {"y", ys, Role::out}, {"dx", xs, Role::out}};
  c.reference = [g](Arrays& a) {
    ref::reflection_pad2d_forward<double>(g, a[X].data(), a[Y].data());
    ref::reflection_pad2d_backward<double>(g, a[DY].data(), a[DX].data());
  };
  c.run = [g](std::vector<Tensor>& t) {
    reflection_pad2d_forward(t[X], g.pad, t[Y]);
    reflection_pad2d_backward(t[DY], g.pad, t[DX]);
  };
  c.tol = 1e-6;
  c.tol_reason = "copies, and sums of at most 9 floats in another order: a few ulp; an index bug: O(1)";
  c.misaligned = misaligned;
  if (with_grad) {
    OpGrad gr{"y", "dy", {{"x", "dx"}}, 1e-8, "linear: central differences exact up to rounding"};
    gr.device_tol = 2e-3;
    gr.device_reason = "linear, so only the float rounding of y counts: ~1e-7 |L| over a step of 2e-2";
    c.grad = gr;
  }
  return c;
}

}  // namespace

std::vector<OpCase> pad_cases(ShapeSet set) {
  std::vector<OpCase> cases;
  // {n, c, h, w, pad}: pad 1 to size - 1 (every input row a source of 3 output rows when 2 pad >= size),
  // 2-wide images (the largest pad 1), odd and non-square sizes, batch 1 to 3.
  for (const PadGeom& g : {PadGeom{1, 2, 5, 7, 1}, PadGeom{2, 3, 4, 5, 3}, PadGeom{3, 2, 2, 3, 1},
                           PadGeom{2, 1, 7, 4, 3}, PadGeom{1, 3, 6, 6, 2}, PadGeom{2, 2, 9, 5, 4}})
    cases.push_back(reflection_pad_case(g, true));
  cases.push_back(reflection_pad_case(PadGeom{2, 3, 5, 7, 3}, true, /*misaligned=*/true));
  cases.push_back(reflection_pad_case(PadGeom{3, 5, 33, 31, 3}, false));  // several blocks of threads
  // The ResNet generator's pads (reflect_pad of its layers) at their input sizes.
  const bool full = set == ShapeSet::full;
  for (int batch : {1, full ? 16 : 2})
    for (const ConvLayer& l : cyclegan_layers(set)) {
      if (l.reflect_pad == 0) continue;
      OpCase c = reflection_pad_case(PadGeom{batch, l.cin, l.h, l.w, l.reflect_pad}, false);
      c.name = l.name + " batch " + std::to_string(batch) + ": " + c.name;
      cases.push_back(std::move(c));
    }
  return cases;
}

}  // namespace p2p::testing
