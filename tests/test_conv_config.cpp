// The conv launch configurations and their choice per layer (kernels/conv_config.h), on the host:
// the chunking, the fixed table, the candidates, the cached and logged choice, the checkpoint text.
// The kernels in every configuration are checked against the reference in gpu_test_ops.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "kernels/conv_config.h"
#include "runtime/device.h"

using namespace p2p;

namespace {
// unet_256's innermost down-sampling conv at batch 1: [1, 512, 2, 2] -> [1, 512, 1, 1], 4x4 stride 2.
const ConvGeom kInnermost{1, 512, 2, 2, 512, 4, 4, 2, 1};
// Its first: [16, 3, 256, 256] -> [16, 64, 128, 128].
const ConvGeom kFirst{16, 3, 256, 256, 64, 4, 4, 2, 1};
}  // namespace

TEST_CASE("conv_chunking: equal chunks of whole 16-steps, the last ragged, none empty", "[conv_config]") {
  // 40 in 3: ceil(40 / 3) = 14 -> 16; 16 + 16 + 8.
  CHECK(conv_chunking(40, 3).chunk == 16);
  CHECK(conv_chunking(40, 3).count == 3);
  // 8192 in 32: 256 each.
  CHECK(conv_chunking(8192, 32).chunk == 256);
  CHECK(conv_chunking(8192, 32).count == 32);
  // 100 in 7: ceil(100 / 7) = 15 -> 16, 7 chunks (the last 4 long).
  CHECK(conv_chunking(100, 7).count == 7);
  // More chunks than 16-steps: one step each. 33 in 64 -> 16, 16, 1.
  CHECK(conv_chunking(33, 64).chunk == 16);
  CHECK(conv_chunking(33, 64).count == 3);
  // 48 in 4 would be 12 -> 16 each: 3 chunks, not a fourth empty one.
  CHECK(conv_chunking(48, 4).count == 3);
  // An empty reduction is one (empty) chunk: the outputs still get the epilogue (the bias).
  CHECK(conv_chunking(0, 8).count == 1);
  CHECK(conv_chunking(20, 0).count == 1);
}

TEST_CASE("conv_fixed_config: splits few-tile GEMMs, narrow tile for narrow outputs", "[conv_config]") {
  // Innermost forward: m = 1 pixel, n = 512 -> 8 tiles, kred = 8192 -> 512 / 8 = 64 chunks, but at
  // least 256 long: 32.
  const GemmDims d = conv_pass_gemm(ConvPass::forward, kInnermost);
  CHECK(d.m == 1);
  CHECK(d.n == 512);
  CHECK(d.kred == 8192);
  CHECK(conv_fixed_config(ConvPass::forward, kInnermost) == ConvConfig{ConvTile::wide, 32});
  // Its backward-data: phase (0, 0) of a 2x2 input at stride 2: 1 pixel, taps 2x2 of 4x4 -> 512 * 4.
  const GemmDims bd = conv_pass_gemm(ConvPass::backward_data, kInnermost);
  CHECK(bd.m == 1);
  CHECK(bd.kred == 2048);
  CHECK(conv_fixed_config(ConvPass::backward_data, kInnermost) == ConvConfig{ConvTile::wide, 8});
  // The first layer at batch 16 has 4096 tiles: no split. Its backward-data has 3 columns: narrow.
  CHECK(conv_fixed_config(ConvPass::forward, kFirst) == ConvConfig{ConvTile::wide, 1});
  CHECK(conv_fixed_config(ConvPass::backward_data, kFirst).tile == ConvTile::narrow);
  // backward-weight is always wide; 64 x 48 = 1 tile, kred = 16 * 128 * 128 -> 512 chunks wanted, so
  // 512 (each 512 long).
  CHECK(conv_fixed_config(ConvPass::backward_weight, kFirst) == ConvConfig{ConvTile::wide, 512});
}

TEST_CASE("conv_candidates: both tiles where narrow fits, powers of 2 chunks, the fixed choice among them",
          "[conv_config]") {
  for (ConvPass p : {ConvPass::forward, ConvPass::backward_data, ConvPass::backward_weight})
    for (const ConvGeom& g : {kInnermost, kFirst, ConvGeom{2, 3, 7, 6, 2, 3, 3, 2, 1}}) {
      const std::vector<ConvConfig> c = conv_candidates(p, g);
      INFO(conv_pass_name(p) << " " << g.n << "x" << g.c << "x" << g.h);
      REQUIRE(!c.empty());
      CHECK(c.front() == ConvConfig{ConvTile::wide, 1});
      CHECK(std::count(c.begin(), c.end(), conv_fixed_config(p, g)) == 1);
      for (const ConvConfig& x : c) CHECK((x.tile == ConvTile::wide || p != ConvPass::backward_weight));
    }
  // Innermost forward: wide x 1, 2, ..., 32 (a 32-chunk is 256 long; 64 would be 128).
  const std::vector<ConvConfig> c = conv_candidates(ConvPass::forward, kInnermost);
  REQUIRE(c.size() == 6);
  CHECK(c.back() == ConvConfig{ConvTile::wide, 32});
  // A narrow backward-data offers both tiles.
  const std::vector<ConvConfig> n = conv_candidates(ConvPass::backward_data, kFirst);
  CHECK(std::count_if(n.begin(), n.end(), [](const ConvConfig& x) { return x.tile == ConvTile::narrow; }) > 0);
  CHECK(std::count_if(n.begin(), n.end(), [](const ConvConfig& x) { return x.tile == ConvTile::wide; }) > 0);
}

TEST_CASE("conv_choose: times every candidate once per layer, caches, logs one line, resets", "[conv_config]") {
  std::vector<std::string> lines;
  conv_tune_log([&](const std::string& l) { lines.push_back(l); });
  conv_tune_reset(true);
  // Fake times: the fixed table's choice the slowest, wide x 4 the fastest.
  const ConvConfig fixed = conv_fixed_config(ConvPass::forward, kInnermost), fastest{ConvTile::wide, 4};
  std::map<int, int> timed;
  auto time = [&](const ConvConfig& c) {
    ++timed[c.chunks];
    return c == fixed ? 9.0 : c == fastest ? 1.0 : 5.0;
  };
  const ConvConfig first = conv_choose(ConvPass::forward, kInnermost, time);
  // Under the CUDA emulation times say nothing about a GPU: every candidate runs, the fixed one wins.
  CHECK(first == (cuda_emulated() ? fixed : fastest));
  CHECK(timed.size() == conv_candidates(ConvPass::forward, kInnermost).size());
  for (const auto& [chunks, n] : timed) CHECK(n == 1);
  // Cached: no more timing, the same choice, no second log line.
  CHECK(conv_choose(ConvPass::forward, kInnermost, [](const ConvConfig&) -> double {
          FAIL("timed again");
          return 0;
        }) == first);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("conv forward [1,512,2,2,512,4,4,2,1]: " + conv_config_text(first)) == 0);
  // Another pass of the same geometry is another choice.
  conv_choose(ConvPass::backward_data, kInnermost, time);
  CHECK(lines.size() == 2);
  // --no-autotune: the fixed table, nothing timed.
  conv_tune_reset(false);
  CHECK(conv_choose(ConvPass::forward, kInnermost, [](const ConvConfig&) -> double {
          FAIL("timed");
          return 0;
        }) == fixed);
  CHECK(lines.back().find("(fixed table)") != std::string::npos);
  conv_tune_log(nullptr);
  conv_tune_reset(true);
}

TEST_CASE("conv_tune_save / restore: the checkpoint text round-trips; restored choices are used", "[conv_config]") {
  conv_tune_reset(false);
  conv_choose(ConvPass::forward, kInnermost, nullptr);
  conv_choose(ConvPass::backward_weight, kFirst, nullptr);
  const std::string saved = conv_tune_save();
  CHECK(saved == "forward 1,512,2,2,512,4,4,2,1 wide 32;backward-weight 16,3,256,256,64,4,4,2,1 wide 512");
  // A resumed run restores them over whatever its own table would choose.
  conv_tune_reset(false);
  conv_tune_restore("forward 1,512,2,2,512,4,4,2,1 wide 2;backward-data 16,3,256,256,64,4,4,2,1 narrow 1", "ckpt");
  CHECK(conv_choose(ConvPass::forward, kInnermost, nullptr) == ConvConfig{ConvTile::wide, 2});
  CHECK(conv_choose(ConvPass::backward_data, kFirst, nullptr) == ConvConfig{ConvTile::narrow, 1});
  conv_tune_reset(false);
  conv_tune_restore(saved, "ckpt");
  CHECK(conv_tune_save() == saved);
  conv_tune_restore("", "ckpt");  // no choices saved (a CPU run)
  CHECK(conv_tune_save() == saved);
  for (const char* bad : {"forward 1,512,2,2,512,4,4,2 wide 2", "sideways 1,512,2,2,512,4,4,2,1 wide 2",
                          "forward 1,512,2,2,512,4,4,2,1 tall 2", "forward 1,512,2,2,512,4,4,2,1 wide 0",
                          "forward 1,512,2,2,512,4,4,2,1 wide 2 x", "backward-weight 1,512,2,2,512,4,4,2,1 narrow 2"})
    CHECK_THROWS_WITH(conv_tune_restore(bad, "checkpoint c"),
                      Catch::Contains("checkpoint c: conv configuration '" + std::string(bad) + "'"));
  conv_tune_reset(true);
}

TEST_CASE("ConvConfigOverride: every pass runs the forced configuration, backward-weight wide", "[conv_config]") {
  conv_tune_reset(true);
  {
    const ConvConfigOverride force({ConvTile::narrow, 3});
    CHECK(conv_choose(ConvPass::forward, kInnermost, nullptr) == ConvConfig{ConvTile::narrow, 3});
    CHECK(conv_choose(ConvPass::backward_weight, kInnermost, nullptr) == ConvConfig{ConvTile::wide, 3});
  }
  CHECK(conv_tune_save().empty());  // forced runs choose nothing
}
