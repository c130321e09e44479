// The op cases (tests/op_case.h) on CUDA, a real GPU or the emulation: the kernels against the
// double reference (outputs NaN-poisoned first), bit-for-bit determinism across runs, thread
// schedules (emulation) and capped grids, and float finite differences through the kernels.
// A real GPU runs the full shape set (every pix2pix layer at batch 1 and 16), the emulation the
// reduced one, which reaches the same code paths.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "kernels/conv_config.h"
#include "runtime/device.h"
#include "tests/op_harness.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

// P2P_OP_SHAPES=reduced|full overrides (tools/gpu_check.sh runs the sanitizers on the reduced set).
ShapeSet shape_set() {
  const std::string v = std::getenv("P2P_OP_SHAPES") ? std::getenv("P2P_OP_SHAPES") : "";
  if (v.empty()) return cuda_emulated() ? ShapeSet::reduced : ShapeSet::full;
  if (v == "reduced") return ShapeSet::reduced;
  if (v == "full") return ShapeSet::full;
  FAIL("P2P_OP_SHAPES=" << v << ": expected reduced or full");
  return ShapeSet::reduced;  // not reached
}

// Cases small enough for the float finite differences (two op runs per probed element).
bool small(const OpCase& c) {
  for (const OpArg& a : c.args)
    if (shape_numel(a.shape) > 400) return false;
  return true;
}

// The CUDA run against the double reference, then again under other schedules and capped grids.
void entry_and_determinism(const OpCase& c) {
  ModeReport r = check_entry_vs_reference(c, Device::CUDA, 99);
  INFO(r.text);
  CHECK(r.ok);
  r = check_determinism(c, 77);
  INFO(r.text);
  CHECK(r.ok);
}

// with_gradients false: a forward-only family (stats), whose cases have no derivative structure.
void all_modes(const std::vector<OpCase>& cases, bool with_gradients = true) {
  int gradients = 0;
  for (const OpCase& c : cases) {
    entry_and_determinism(c);
    if (c.grad && c.grad->device_tol > 0 && small(c)) {
      const ModeReport r = check_device_gradients(c, 55);
      INFO(r.text);
      CHECK(r.ok);
      ++gradients;
    }
  }
  CHECK((gradients > 0) == with_gradients);
}

}  // namespace

TEST_CASE("conv CUDA kernels: reference, determinism, gradients", "[gpu][ops][conv]") {
  all_modes(conv_cases(shape_set(), ConvPrecision::fp32));
}
// The TF32 tensor-core kernels: against the reference on TF32 factors and within the TF32 bound of
// the exact one (op_harness.cpp), and deterministic; the gradient modes run on the FP32 cases.
TEST_CASE("conv TF32 CUDA kernels: reference, determinism", "[gpu][ops][conv][tf32]") {
  all_modes(conv_cases(shape_set(), ConvPrecision::tf32), /*with_gradients=*/false);
}
// Every launch configuration of the conv GEMMs (kernels/conv_config.h), forced on every conv case
// and pass: both tiles, unsplit and in 3 reduction chunks (a ragged last chunk: a 40-long reduction
// in 3 is 16 + 16 + 8), and the wide tile in 64 (clamped to one 16-long step per chunk: the most
// chunks a reduction allows), against the double reference (outputs poisoned) and again for the
// same bits, in both precisions (the tensor-core kernel has its own tiles and reads the same
// chunks). Autotune's candidates are these tiles with 1 to 64 chunks; the unforced run above
// covers its choices (on a GPU, timed ones on the full shapes). The reduced shapes reach every path
// of every configuration, so they are used on a GPU too (the full set four times over would take
// minutes there).
TEST_CASE("conv CUDA kernels: every launch configuration, reference and determinism", "[gpu][ops][conv_config]") {
  for (ConvPrecision precision : {ConvPrecision::fp32, ConvPrecision::tf32}) {
    const std::vector<OpCase> cases = conv_cases(ShapeSet::reduced, precision);
    for (const ConvConfig& cfg : {ConvConfig{ConvTile::narrow, 1}, ConvConfig{ConvTile::narrow, 3},
                                  ConvConfig{ConvTile::wide, 3}, ConvConfig{ConvTile::wide, 64}}) {
      INFO("configuration " << conv_config_text(cfg) << ", " << conv_precision_name(precision));
      const ConvConfigOverride force(cfg);
      for (const OpCase& c : cases) entry_and_determinism(c);
    }
  }
}
TEST_CASE("norm CUDA kernels: reference, determinism, gradients", "[gpu][ops][norm]") {
  all_modes(norm_cases(shape_set()));
}
TEST_CASE("pointwise CUDA kernels: reference, determinism, gradients", "[gpu][ops][pointwise]") {
  all_modes(pointwise_cases(shape_set()));
}
TEST_CASE("pad CUDA kernels: reference, determinism, gradients", "[gpu][ops][pad]") {
  all_modes(pad_cases(shape_set()));
}
TEST_CASE("vae CUDA kernels: reference, determinism, gradients", "[gpu][ops][vae]") {
  all_modes(vae_cases(shape_set()));
}
TEST_CASE("stats CUDA kernels: reference, determinism", "[gpu][ops][stats]") {
  all_modes(stats_cases(shape_set()), /*with_gradients=*/false);
}
