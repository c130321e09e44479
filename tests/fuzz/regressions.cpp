// tests/fuzz/regressions/<target>/: each file through its reader (tests/fuzz/readers.h), which must
// give a clean result or a p2p::Error naming the file; and the seed corpora too, which must all
// pass the same way.
#include <catch2/catch.hpp>
#include <filesystem>
#include <stdexcept>

#include "runtime/check.h"
#include "tests/fuzz/readers.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

// Runs every file of P2P_FUZZ_DIR/<folder>/<target>/ through the target's reader; returns how many.
int run_folder(const std::string& folder) {
  int files = 0;
  for (const fuzz::Reader& reader : fuzz::readers()) {
    const fs::path dir = fs::path(P2P_FUZZ_DIR) / folder / reader.target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      INFO(reader.target << ": " << entry.path().string());
      CHECK_NOTHROW(fuzz::run_reader(reader, entry.path().string()));
      ++files;
    }
  }
  return files;
}

}  // namespace

TEST_CASE("every input that broke a reader gives a clean result or a clear error", "[fuzz]") {
  CHECK(run_folder("regressions") > 0);
}

TEST_CASE("the seed corpora go through their readers the same way", "[fuzz]") { CHECK(run_folder("corpus") > 0); }

TEST_CASE("run_reader fails on an error that does not name the file", "[fuzz]") {
  const fuzz::Reader silent{"silent", [](const std::string&) { P2P_FAIL("something is wrong"); }};
  CHECK_THROWS_AS(fuzz::run_reader(silent, "/some/file"), std::logic_error);
  const fuzz::Reader clear{"clear", [](const std::string& path) { P2P_FAIL("file " << path << " is bad"); }};
  CHECK_NOTHROW(fuzz::run_reader(clear, "/some/file"));
  const fuzz::Reader other{"other", [](const std::string&) { throw std::out_of_range("boom"); }};
  CHECK_THROWS_AS(fuzz::run_reader(other, "/some/file"), std::out_of_range);
}
