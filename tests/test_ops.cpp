// The op cases (tests/op_case.h) on the CPU: the double reference's backward against central
// differences, and the float tensor entry points against the double reference.
#include <catch2/catch.hpp>

#include "tests/op_harness.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
void reference_gradients(const std::vector<OpCase>& cases) {
  int checked = 0;
  for (const OpCase& c : cases) {
    if (!c.grad) continue;
    const ModeReport r = check_reference_gradients(c, 1234);
    INFO(r.text);
    CHECK(r.ok);
    ++checked;
  }
  CHECK(checked > 0);
}
void cpu_entry_points(const std::vector<OpCase>& cases) {
  for (const OpCase& c : cases) {
    const ModeReport r = check_entry_vs_reference(c, Device::CPU, 99);
    INFO(r.text);
    CHECK(r.ok);
  }
}
}  // namespace

TEST_CASE("conv reference gradients match finite differences", "[ops][conv][gradcheck]") {
  reference_gradients(conv_cases(ShapeSet::reduced, ConvPrecision::fp32));
}
TEST_CASE("norm reference gradients match finite differences", "[ops][norm][gradcheck]") {
  reference_gradients(norm_cases(ShapeSet::reduced));
}
TEST_CASE("pointwise reference gradients match finite differences", "[ops][pointwise][gradcheck]") {
  reference_gradients(pointwise_cases(ShapeSet::reduced));
}
TEST_CASE("pad reference gradients match finite differences", "[ops][pad][gradcheck]") {
  reference_gradients(pad_cases(ShapeSet::reduced));
}

TEST_CASE("vae reference gradients match finite differences", "[ops][vae][gradcheck]") {
  reference_gradients(vae_cases(ShapeSet::reduced));
}

TEST_CASE("conv float CPU entry points match the double reference", "[ops][conv]") {
  cpu_entry_points(conv_cases(ShapeSet::reduced, ConvPrecision::fp32));  // the CPU is exact at either
}
TEST_CASE("norm float CPU entry points match the double reference", "[ops][norm]") {
  cpu_entry_points(norm_cases(ShapeSet::reduced));
}
TEST_CASE("pointwise float CPU entry points match the double reference", "[ops][pointwise]") {
  cpu_entry_points(pointwise_cases(ShapeSet::reduced));
}
TEST_CASE("pad float CPU entry points match the double reference", "[ops][pad]") {
  cpu_entry_points(pad_cases(ShapeSet::reduced));
}
TEST_CASE("vae float CPU entry points match the double reference", "[ops][vae]") {
  cpu_entry_points(vae_cases(ShapeSet::reduced));
}
TEST_CASE("stats float CPU entry points match the double reference", "[ops][stats]") {
  cpu_entry_points(stats_cases(ShapeSet::reduced));
}
