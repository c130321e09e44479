// One finite-difference harness for every op (the idea of ggml's test-backend-ops): a case declares
// its inputs, a forward that maps them to an output, and a backward that maps an output gradient to
// input gradients; the harness does the rest, in double.
//
// With a fixed random output weight u, let L(inputs) = <forward(inputs), u>. Then the backward
// given dy = u must return dL/dinput, and for each element e of each differentiable input
//     numeric_e = (L(input + h e) - L(input - h e)) / 2h      (central difference, error O(h^2))
// The check passes when max_e |numeric_e - analytic_e| / max_e |numeric_e| <= tol for every input.
//
// Gradient conventions are checked too: an input marked `accumulates` (a parameter gradient, +=)
// starts with random values that the harness subtracts after the backward; any other gradient (an
// activation gradient, written) starts as NaN, so an element the backward forgets fails the check.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace p2p::testing {

struct GradInput {
  std::string name;
  std::vector<double> value;
  bool differentiable = true;  // false for data the op does not differentiate (targets, masks)
  bool accumulates = false;    // true for parameter gradients (+=)
  std::vector<double> grad;    // filled by the backward
};

struct GradCase {
  std::string name;  // op and shape, for the report
  std::vector<GradInput> inputs;
  // out = f(inputs); the harness sizes out from the first call.
  std::function<void(const std::vector<GradInput>& in, std::vector<double>& out)> forward;
  // Given dout, fill in[i].grad for the differentiable inputs (already sized; see conventions above).
  std::function<void(std::vector<GradInput>& in, const std::vector<double>& dout)> backward;
  double tol = 1e-6;
  std::string tol_reason;  // one line: why this tolerance
  double h = 1e-6;
  size_t max_points = 4096;  // elements probed per input: all when smaller, else an even stride
};

struct GradReport {
  bool ok = true;
  std::string text;  // one line per input: name, elements probed, relative error
};

GradReport check_gradients(GradCase c, uint64_t seed = 1234);

}  // namespace p2p::testing
