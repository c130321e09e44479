// Model summaries: one aligned line per layer with its name, the output shape of the last forward
// ("-" before the first) and its parameter count.
#pragma once
#include <cstdio>
#include <ostream>
#include <string>

#include "runtime/tensor.h"

namespace p2p {

inline void summary_row(std::ostream& os, const std::string& name, const Tensor& out, int64_t params) {
  char line[200];
  std::snprintf(line, sizeof(line), "%-22s %-22s %12lld\n", name.c_str(),
                out.defined() ? shape_str(out.shape()).c_str() : "-", static_cast<long long>(params));
  os << line;
}

}  // namespace p2p
