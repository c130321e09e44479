// Launch configurations of the conv2d GEMMs (kernels/conv2d.cu), and the per-layer choice among them
// (autotune, as cudnn.benchmark; or a fixed table).
//
// A configuration is (tile, chunks) per pass. Each pass is an implicit GEMM C[m][n] = sum_kk A B
// over a reduction of length kred (conv2d.cu's table). With `chunks` > 1 the reduction is split
// into fixed, equal chunks (the last one ragged) of
//   chunk = ceil(ceil(kred / chunks) / 16) * 16   (a whole number of the kernel's 16-long steps),
// run as blockIdx.z; each chunk writes a partial tile to a workspace and a second kernel sums the
// chunks in order (z = 0, 1, ...) into the output, applying the epilogue there (the bias of a
// forward, the += of backward-weight). No atomics: for a given configuration every result is
// bitwise reproducible, but two configurations round differently, which is why the choice is
// logged and saved in the checkpoint (a resumed run restores it).
//
// Why split: at batch 1 the U-Net's innermost layers have GEMMs of a few 64x64 tiles with
// kred = 8192; without a split those few blocks run the whole reduction serially on a GPU of 132
// SMs. Split so that tiles * chunks reaches kConvTargetBlocks (about 2 waves of 2 blocks per SM on an
// H100, with the tiles' 256 threads), each chunk at least kConvMinChunk long (shorter chunks spend more
// on the workspace round trip than they save).
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "kernels/conv2d.h"

namespace p2p {

enum class ConvPass { forward, backward_data, backward_weight };
const char* conv_pass_name(ConvPass p);  // "forward", "backward-data", "backward-weight"

// wide: 64x64 tiles, the general case; narrow: 256x8, for GEMMs of at most 8 columns (conv2d.cu).
enum class ConvTile { wide, narrow };
// The SIMT tiles' output sizes and the reduction step, which the configurations are counted in;
// conv2d.cu builds its tiles and its kBK from these.
struct ConvTileShape {
  int rows, cols;
};
constexpr ConvTileShape kConvWideTile{64, 64}, kConvNarrowTile{256, 8};
constexpr int kConvStep = 16;  // chunks are whole multiples of it

// A kernel field joins these when a second GEMM kernel (tensor cores) reads the same Op interface.
struct ConvConfig {
  ConvTile tile = ConvTile::wide;
  int chunks = 1;  // requested reduction chunks; the launch uses conv_chunking's count
  bool operator==(const ConvConfig& o) const { return tile == o.tile && chunks == o.chunks; }
};
std::string conv_config_text(const ConvConfig& c);  // "wide x1", "narrow x8"

// A pass's GEMM extents (backward-data: its largest stride phase, phase (0, 0)).
struct GemmDims {
  int m, n, kred;
};
GemmDims conv_pass_gemm(ConvPass p, const ConvGeom& g);

// The split of a reduction of length kred into at most `chunks` chunks as described above: the
// chunk length and the launched chunk count ceil(kred / chunk) (never an empty chunk).
struct Chunking {
  int chunk, count;
};
Chunking conv_chunking(int kred, int chunks);

constexpr int kConvTargetBlocks = 512, kConvMinChunk = 256;
// The fixed table (--no-autotune): the narrow tile for at most 8 columns, else wide; chunks to
// reach kConvTargetBlocks blocks, each at least kConvMinChunk long. A function of the geometry only.
ConvConfig conv_fixed_config(ConvPass p, const ConvGeom& g);
// The autotune candidates: both tiles for at most 8 columns (backward-weight, whose columns are
// C*R*S, only wide), each with 1, 2, 4, ... chunks while a chunk stays >= kConvMinChunk and the
// blocks stay <= 4 kConvTargetBlocks; the fixed table's choice is always among them.
std::vector<ConvConfig> conv_candidates(ConvPass p, const ConvGeom& g);

// The choice per (pass, geometry), for the process. On first use of a (pass, geometry), with
// autotune on, time_ms(config) is called for every candidate and the fastest taken (under the CUDA
// emulation, where times say nothing about a GPU, every candidate still runs but the fixed table's
// choice is taken); with autotune off the fixed table's. The choice is cached and logged once.
// time_ms must not write the pass's real outputs (conv2d.cu times on scratch outputs).
ConvConfig conv_choose(ConvPass p, const ConvGeom& g, const std::function<double(const ConvConfig&)>& time_ms);

// conv_transpose2d's passes are conv2d's with the roles exchanged (kernels/conv_transpose2d.cu): its
// forward is chosen, logged and saved as the backward-data of its conv2d geometry g.as_conv().
//
// Starts a run: forgets every choice; autotune on or off (--no-autotune) for the new ones.
void conv_tune_reset(bool autotune);
// Receives the one log line per new choice (default: none): pass, geometry, config, its time.
void conv_tune_log(std::function<void(const std::string&)> sink);
// The choices as text ("<pass> <n,c,h,w,k,r,s,stride,pad> <tile> <chunks>" entries joined by ';',
// in a fixed order), for the checkpoint metadata, and back: restored choices are used as they are.
std::string conv_tune_save();
void conv_tune_restore(const std::string& text, const std::string& what);

// One run's choices (a train or a bench): made afresh, none carried over from an earlier run in
// this process, each new one logged on `out` as it is made; the log sink removed at the end.
class ConvTuneRun {
 public:
  ConvTuneRun(bool autotune, std::ostream& out);
  ~ConvTuneRun();
  ConvTuneRun(const ConvTuneRun&) = delete;
  ConvTuneRun& operator=(const ConvTuneRun&) = delete;
};

// For tests: while alive, every pass of every geometry runs `c` (chunks clamped to what the
// reduction allows; backward-weight always wide), bypassing the choices.
class ConvConfigOverride {
 public:
  explicit ConvConfigOverride(ConvConfig c);
  ~ConvConfigOverride();
  ConvConfigOverride(const ConvConfigOverride&) = delete;
  ConvConfigOverride& operator=(const ConvConfigOverride&) = delete;
};

}  // namespace p2p
