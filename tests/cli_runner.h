// Runs the pix2pix command line in-process (run_cli) and captures its exit code and output.
#pragma once
#include <sstream>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace p2p::testing {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun cli(std::vector<std::string> args) {
  args.insert(args.begin(), "pix2pix");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Console con{out, err, false};
  int code = run_cli(static_cast<int>(argv.size()), argv.data(), con);
  return {code, out.str(), err.str()};
}

}  // namespace p2p::testing
