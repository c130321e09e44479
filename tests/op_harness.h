// The test modes over an op case (tests/op_case.h describes the cases and the modes). Each returns
// whether it passed and a report with one line per array it compared.
#pragma once
#include <cstdint>
#include <string>

#include "tests/op_case.h"

namespace p2p::testing {

struct ModeReport {
  bool ok = true;
  std::string text;
};

// Double central differences of the reference (cases with a grad).
ModeReport check_reference_gradients(const OpCase& c, uint64_t seed);
// `run` on dev against the double reference, outputs NaN-poisoned first.
ModeReport check_entry_vs_reference(const OpCase& c, Device dev, uint64_t seed);
// The CUDA run repeated (other schedules in emulation, a capped grid): the same bits.
ModeReport check_determinism(const OpCase& c, uint64_t seed);
// Float central differences through the CUDA op (cases whose grad has a device_tol).
ModeReport check_device_gradients(const OpCase& c, uint64_t seed);

}  // namespace p2p::testing
