// Runs the gan command line in-process (run_cli) and captures its exit code and output.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
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
  args.insert(args.begin(), "gan");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  Console con{out, err, false};
  int code = run_cli(static_cast<int>(argv.size()), argv.data(), con);
  return {code, out.str(), err.str()};
}

// The rows of a CSV file (loss_log.csv, metrics.csv) without their last column (the time).
inline std::vector<std::string> rows_but_last_column(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> rows;
  std::string line;
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

// A fresh folder /tmp/<stem>XXXXXX, removed with its contents at the end of the scope.
struct ScratchDir {
  std::filesystem::path dir;
  explicit ScratchDir(const std::string& stem) {
    std::string tmpl = "/tmp/" + stem + "XXXXXX";
    dir = ::mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string p(const std::string& rel) const { return (dir / rel).string(); }
};

}  // namespace p2p::testing
