// One declaration per op case, and every test mode driven from the one list (in the spirit of ggml's
// tests/test-backend-ops.cpp). A case names the arrays its op touches and runs the op two ways:
// `reference` on double arrays (the CPU reference, ref::<double>) and `run` on tensors through the
// tensor entry points (the CUDA kernels or the float CPU reference, by where the tensors live).
// The modes (tests/op_harness.h):
//   reference gradients   central differences of L = <y, u> in double against the reference's
//                          backward with dy = u                                    (test_ops, CPU)
//   entry vs reference     `run` (outputs NaN-poisoned first) against the double reference computed
//                          from the same float inputs: inf-norm relative error <= tol, per output;
//                          on CPU tensors (test_ops) and on CUDA tensors (gpu_test_ops); a TF32 case
//                          twice: on TF32 factors at tol, and exact within a derived bound (Tf32Reference)
//   determinism            the CUDA run again, under other thread schedules (emulation) and with
//                          the grid capped so that every grid-stride loop makes several passes:
//                          the same bits                                           (gpu_test_ops)
//   device gradients       float central differences through the CUDA op against its backward
//                                                                                  (gpu_test_ops)
// The lists (tests/op_cases_*.cpp) come in two sizes: `reduced` reaches every code path with small
// shapes (ragged tiles, several split-K chunks, stride 1 and 2, each pix2pix layer kind with fewer
// channels, batch 1 and > 1, misaligned views) and runs everywhere, the emulation included; `full`
// adds the pix2pix layers at their real sizes (models/layers.h) at batch 1 and 16, on a real GPU.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/conv2d.h"
#include "models/layers.h"
#include "runtime/tensor.h"

namespace p2p::testing {

// in: read only. out: written by the op (NaN-poisoned first, so an element it misses fails).
// inout: updated in place (accumulated gradients, running statistics, optimizer state); starts
// random, and the change the op makes is what is compared.
enum class Role { in, out, inout };

struct OpArg {
  std::string name;
  Shape shape;
  Role role = Role::in;
  double lo = -1.0, hi = 1.0;   // starting values uniform in [lo, hi) (in and inout)
  double gap = 0.0;             // > 0: |value| in [gap, hi) with a random sign, away from a kink at 0
  double channel_offset = 0.0;  // > 0: plus a random offset in [-it, it) per channel (dim 1): non-zero means
};

using Arrays = std::vector<std::vector<double>>;  // one per OpArg, in order

// The derivative structure, for the finite-difference modes: with args[dy] = u the op writes
// dL/d(input) into its gradient (an out) or adds it (an inout), L = <args[y], u>.
struct OpGrad {
  std::string y, dy;
  std::vector<std::pair<std::string, std::string>> wrt;  // (input, its gradient)
  double tol = 1e-7;                                     // double central differences of the reference
  std::string reason;
  double h = 1e-6;
  double device_tol = 0.0;  // float central differences through CUDA; 0: that mode skips the case
  std::string device_reason;
  float device_h = 1e-2f;
};

using ElementFn = std::function<double(const Arrays&, size_t out, int64_t i)>;

// The references of a case whose products are of factors rounded to TF32 (10 mantissa bits, the
// tensor-core convolutions) and summed in float: check_entry_vs_reference compares its outputs (a)
// with `reference` (or `element`): the double reference of the factors rounded as the kernels round
// them (runtime/tf32.h), at the case's tol, so only float summation error remains and an index or
// layout bug shows as in FP32; and (b) with the case's own exact reference, within the TF32 bound
// derived in op_harness.cpp from the mantissa and `longest_sum`, the most products summed into one
// output.
struct Tf32Reference {
  std::function<void(Arrays&)> reference;
  ElementFn element;  // set when the case's is
  int64_t longest_sum = 0;
};

struct OpCase {
  std::string name;
  std::vector<OpArg> args;
  std::function<void(Arrays&)> reference;
  std::function<void(std::vector<Tensor>&)> run;
  double tol = 1e-5;  // entry vs reference
  std::string tol_reason;
  std::optional<OpGrad> grad;
  // For large cases: the reference value of element i of args[out], from the inputs alone; then a
  // sample of elements is compared instead of running `reference` in full.
  ElementFn element;
  std::optional<Tf32Reference> tf32;  // a case run on TF32 tensor cores (see Tf32Reference)
  bool misaligned = false;            // device tensors start one float past a 16-byte boundary (scalar paths)

  size_t index(const std::string& arg) const;  // throws on an unknown name
};

enum class ShapeSet { reduced, full };

// The convolutions of the pix2pix networks: unet_256 and the 70x70 PatchGAN at 256x256 (full), or
// the same layer kinds with 2 to 16 channels at 32x32 (reduced: num_downs 5 keeps every kind of level).
std::vector<ConvLayer> pix2pix_layers(ShapeSet set);
// The convolutions of the CycleGAN networks: resnet_9blocks and the 70x70 PatchGAN (input_nc 3,
// instance norm) at 256x256 (full), or the same layer kinds with 2 to 16 channels and one residual
// block at 32x32 (reduced).
std::vector<ConvLayer> cyclegan_layers(ShapeSet set);

// conv2d and conv_transpose2d, the CUDA kernels at precision p (TF32 cases are named "[tf32]"
// and carry their TF32 references); the CPU runs the exact reference at either.
std::vector<OpCase> conv_cases(ShapeSet set, ConvPrecision p);
std::vector<OpCase> norm_cases(ShapeSet set);
std::vector<OpCase> pointwise_cases(ShapeSet set);
std::vector<OpCase> pad_cases(ShapeSet set);
std::vector<OpCase> vae_cases(ShapeSet set);
std::vector<OpCase> stats_cases(ShapeSet set);  // forward only: no grad

}  // namespace p2p::testing
