// The conv2d launch configurations and their choice per layer (kernels/conv_config.h).
#include "kernels/conv_config.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <tuple>

#include "runtime/device.h"

namespace p2p {

namespace {

constexpr int kMaxChunks = 64;  // autotune's largest candidate
constexpr int kGridZ = 65535;   // CUDA's limit on gridDim.z: the most chunks a launch may have

int ceil_div(int64_t a, int64_t b) { return static_cast<int>((a + b - 1) / b); }

int64_t tiles(ConvTile t, const GemmDims& d) {
  const ConvTileShape s = t == ConvTile::wide ? kConvWideTile : kConvNarrowTile;
  return int64_t(ceil_div(d.m, s.rows)) * ceil_div(d.n, s.cols);
}

// Pass, then the geometry. Not the precision (conv2d.h): a run (ConvTuneRun) has one, and candidates
// are timed in it; the tiles' names stand for the SIMT tiles or their tensor-core twins alike.
using Key = std::tuple<int, int, int, int, int, int, int, int, int, int>;
Key key(ConvPass p, const ConvGeom& g) { return {int(p), g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.stride, g.pad}; }

struct Tuner {
  std::mutex mu;
  bool autotune = true;
  std::map<Key, ConvConfig> chosen;
  std::function<void(const std::string&)> log;
  std::optional<ConvConfig> forced;
};
Tuner& tuner() {
  static Tuner t;
  return t;
}

std::string geom_text(const ConvGeom& g) {
  std::ostringstream os;
  os << g.n << "," << g.c << "," << g.h << "," << g.w << "," << g.k << "," << g.r << "," << g.s << "," << g.stride
     << "," << g.pad;
  return os.str();
}

}  // namespace

const char* conv_pass_name(ConvPass p) {
  switch (p) {
    case ConvPass::forward:
      return "forward";
    case ConvPass::backward_data:
      return "backward-data";
    case ConvPass::backward_weight:
      return "backward-weight";
  }
  return "?";
}

std::string conv_config_text(const ConvConfig& c) {
  return std::string(c.tile == ConvTile::wide ? "wide" : "narrow") + " x" + std::to_string(c.chunks);
}

GemmDims conv_pass_gemm(ConvPass p, const ConvGeom& g) {
  switch (p) {
    case ConvPass::forward:
      return {g.n * g.p() * g.q(), g.k, g.c * g.r * g.s};
    case ConvPass::backward_data: {
      // Phase (0, 0) of conv2d.cu's stride phases: ceil(H / st) rows, ceil((R - pad mod st) / st) taps.
      const int st = g.stride, rh = g.pad % st, sw = g.pad % st;
      const int taps = std::max(0, ceil_div(g.r - rh, st)) * std::max(0, ceil_div(g.s - sw, st));
      return {g.n * ceil_div(g.h, st) * ceil_div(g.w, st), g.c, g.k * taps};
    }
    case ConvPass::backward_weight:
      return {g.k, g.c * g.r * g.s, g.n * g.p() * g.q()};
  }
  return {0, 0, 0};
}

Chunking conv_chunking(int kred, int chunks) {
  // At most one chunk per 16-long step; every chunk then starts before kred, none is empty.
  const int n = std::clamp(chunks, 1, std::max(1, ceil_div(kred, kConvStep)));
  const int chunk = std::max(kConvStep, ceil_div(ceil_div(kred, n), kConvStep) * kConvStep);
  return {chunk, std::max(1, ceil_div(kred, chunk))};
}

ConvConfig conv_fixed_config(ConvPass p, const ConvGeom& g) {
  const GemmDims d = conv_pass_gemm(p, g);
  ConvConfig c;
  c.tile = p != ConvPass::backward_weight && d.n <= kConvNarrowTile.cols ? ConvTile::narrow : ConvTile::wide;
  const int64_t t = std::max<int64_t>(1, tiles(c.tile, d));
  const int max_chunks = std::max(1, ceil_div(d.kred, kConvMinChunk));
  c.chunks = static_cast<int>(std::min<int64_t>(max_chunks, std::max<int64_t>(1, (kConvTargetBlocks + t - 1) / t)));
  return c;
}

std::vector<ConvConfig> conv_candidates(ConvPass p, const ConvGeom& g) {
  const GemmDims d = conv_pass_gemm(p, g);
  std::vector<ConvTile> tile_kinds = {ConvTile::wide};
  if (p != ConvPass::backward_weight && d.n <= kConvNarrowTile.cols) tile_kinds.push_back(ConvTile::narrow);
  const int max_chunks = std::max(1, ceil_div(d.kred, kConvMinChunk));
  std::vector<ConvConfig> out;
  for (ConvTile t : tile_kinds)
    for (int c = 1; c <= std::min(max_chunks, kMaxChunks); c *= 2)
      if (c == 1 || tiles(t, d) * c <= 4 * kConvTargetBlocks) out.push_back({t, c});
  const ConvConfig fixed = conv_fixed_config(p, g);
  if (std::find(out.begin(), out.end(), fixed) == out.end()) out.push_back(fixed);
  return out;
}

ConvConfig conv_choose(ConvPass p, const ConvGeom& g, const std::function<double(const ConvConfig&)>& time_ms) {
  Tuner& t = tuner();
  std::unique_lock<std::mutex> lock(t.mu);
  if (t.forced) {
    ConvConfig c = *t.forced;
    if (p == ConvPass::backward_weight) c.tile = ConvTile::wide;
    return c;
  }
  const Key k = key(p, g);
  if (auto it = t.chosen.find(k); it != t.chosen.end()) return it->second;
  const ConvConfig fixed = conv_fixed_config(p, g);
  ConvConfig best = fixed;
  std::string how = "fixed table";
  if (t.autotune) {
    // Timing launches kernels: not under the lock (nothing else tunes concurrently: one stream).
    lock.unlock();
    double best_ms = -1.0, fixed_ms = 0.0;
    const std::vector<ConvConfig> cands = conv_candidates(p, g);
    for (const ConvConfig& c : cands) {
      const double ms = time_ms(c);
      if (c == fixed) fixed_ms = ms;
      if (best_ms < 0 || ms < best_ms) best_ms = ms, best = c;
    }
    char buf[128];
    if (cuda_emulated()) {
      // Emulated times measure the CPU: keep the fixed table's choice, deterministic on every machine.
      best = fixed;
      std::snprintf(buf, sizeof buf, "autotune of %zu candidates, emulated (fixed table's)", cands.size());
    } else {
      std::snprintf(buf, sizeof buf, "autotune of %zu candidates, %.4f ms; fixed table %s %.4f ms", cands.size(),
                    best_ms, conv_config_text(fixed).c_str(), fixed_ms);
    }
    how = buf;
    lock.lock();
  }
  t.chosen[k] = best;
  if (t.log)
    t.log(std::string("conv ") + conv_pass_name(p) + " [" + geom_text(g) + "]: " + conv_config_text(best) + " (" + how +
          ")");
  return best;
}

void conv_tune_reset(bool autotune) {
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  t.autotune = autotune;
  t.chosen.clear();
}

void conv_tune_log(std::function<void(const std::string&)> sink) {
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  t.log = std::move(sink);
}

std::string conv_tune_save() {
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  std::string out;
  for (const auto& [k, c] : t.chosen) {
    const ConvGeom g{std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k), std::get<5>(k),
                     std::get<6>(k), std::get<7>(k), std::get<8>(k), std::get<9>(k)};
    if (!out.empty()) out += ";";
    out += std::string(conv_pass_name(ConvPass(std::get<0>(k)))) + " " + geom_text(g) + " " +
           (c.tile == ConvTile::wide ? "wide " : "narrow ") + std::to_string(c.chunks);
  }
  return out;
}

void conv_tune_restore(const std::string& text, const std::string& what) {
  std::map<Key, ConvConfig> restored;
  std::istringstream entries(text);
  for (std::string entry; std::getline(entries, entry, ';');) {
    std::istringstream is(entry);
    std::string pass, geom, tile;
    int chunks = 0;
    is >> pass >> geom >> tile >> chunks;
    ConvGeom g{};
    char sep[8] = {};
    std::istringstream gs(geom);
    gs >> g.n >> sep[0] >> g.c >> sep[1] >> g.h >> sep[2] >> g.w >> sep[3] >> g.k >> sep[4] >> g.r >> sep[5] >> g.s >>
        sep[6] >> g.stride >> sep[7] >> g.pad;
    std::optional<ConvPass> p;
    for (ConvPass q : {ConvPass::forward, ConvPass::backward_data, ConvPass::backward_weight})
      if (pass == conv_pass_name(q)) p = q;
    const bool ok = p && gs && gs.peek() == EOF && std::string(sep, 8) == ",,,,,,,," &&
                    (tile == "wide" || (tile == "narrow" && *p != ConvPass::backward_weight)) && chunks >= 1 &&
                    chunks <= kGridZ && is && is.peek() == EOF;
    P2P_CHECK(ok, what << ": conv configuration '" << entry
                       << "' is not '<pass> <n,c,h,w,k,r,s,stride,pad> <wide|narrow> <chunks>'");
    restored[key(*p, g)] = ConvConfig{tile == "wide" ? ConvTile::wide : ConvTile::narrow, chunks};
  }
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  for (const auto& [k, c] : restored) t.chosen[k] = c;
}

ConvTuneRun::ConvTuneRun(bool autotune, std::ostream& out) {
  conv_tune_reset(autotune);
  conv_tune_log([&out](const std::string& line) { out << line << "\n"; });
}

ConvTuneRun::~ConvTuneRun() { conv_tune_log(nullptr); }

ConvConfigOverride::ConvConfigOverride(ConvConfig c) {
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  t.forced = c;
}

ConvConfigOverride::~ConvConfigOverride() {
  Tuner& t = tuner();
  std::lock_guard<std::mutex> lock(t.mu);
  t.forced.reset();
}

}  // namespace p2p
