// gan bench, run in-process through run_cli on the CPU with a tiny model: both modes and both
// batch sizes reported with positive finite times, the JSON file written, and bad values refused
// with an error naming the option.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli_runner.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

using Run = testing::CliRun;
using testing::cli;

// The bench on a 64x64 U-Net with 6 levels and 8 filters: a few hundred milliseconds per row pair.
std::vector<std::string> tiny(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"bench", "--size",        "64",  "--num-downs", "6", "--ngf",    "8", "--ndf",
                                "8",     "--batch-sizes", "1,2", "--iters",     "3", "--warmup", "1", "--device",
                                "cpu",   "--threads",     "1"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

struct Row {
  int batch;
  std::string mode;
  double mean, min, median, images_per_s;
  long mallocs;
};

// The table rows: lines that start with a batch size followed by "excluded" or "included".
std::vector<Row> table_rows(const std::string& out) {
  std::vector<Row> rows;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    Row r;
    if (f >> r.batch >> r.mode >> r.mean >> r.min >> r.median >> r.images_per_s >> r.mallocs &&
        (r.mode == "excluded" || r.mode == "included"))
      rows.push_back(r);
  }
  return rows;
}

}  // namespace

TEST_CASE("bench: both modes at both batch sizes on the CPU, and the JSON file", "[bench]") {
  char tmpl[] = "/tmp/p2p_bench_test_XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  const std::string json = (dir / "bench.json").string();
  Run r = cli(tiny({"--json", json}));
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("device: cpu") != std::string::npos);
  std::vector<Row> rows = table_rows(r.out);
  REQUIRE(rows.size() == 4);
  const int batches[] = {1, 1, 2, 2};
  const char* modes[] = {"excluded", "included", "excluded", "included"};
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    CHECK(row.batch == batches[i]);
    CHECK(row.mode == modes[i]);
    for (double v : {row.mean, row.min, row.median, row.images_per_s}) {
      CHECK(std::isfinite(v));
      CHECK(v > 0);
    }
    CHECK(row.min <= row.median);
    CHECK(row.images_per_s == Approx(1000.0 * row.batch / row.mean).epsilon(0.01));  // printed to 3 and 2 decimals
    CHECK(row.mallocs == 0);                                                         // no cudaMalloc on the CPU
  }
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("\"device\": \"cpu\"") != std::string::npos);
  CHECK(text.str().find("\"batch_size\": 2, \"data\": \"included\", \"ms_per_step_mean\": ") != std::string::npos);
  CHECK(text.str().find("\"cuda_mallocs\": 0, \"graph\": false}") != std::string::npos);  // no graph on the CPU
  fs::remove_all(dir);
}

TEST_CASE("bench: bad values give an error naming the option", "[bench]") {
  auto fails_with = [](const Run& r, const std::string& text) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.code != 0);
    CHECK(r.err.find(text) != std::string::npos);
  };
  fails_with(cli(tiny({"--size", "96"})),
             "--size 96 gives 96x96 images, but a U-Net with --num-downs 6 needs sizes "
             "divisible by 2^6 = 64");
  fails_with(cli(tiny({"--batch-sizes", "1,0"})), "--batch-sizes '1,0': batch size 0 is less than 1");
  fails_with(cli(tiny({"--batch-sizes", "1,x"})), "--batch-sizes '1,x': 'x' is not an integer");
  fails_with(cli(tiny({"--iters", "0"})), "--iters 0: expected at least 1");
  fails_with(cli(tiny({"--netG", "unet_128"})), "--netG unet_128 means --num-downs 7, but --num-downs 6 was given");
}
