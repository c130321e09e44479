// The gan command's subcommands as functions (the CLI in cli.cpp parses into the option structs
// and calls these; the tests call both). Each throws p2p::Error with a message naming the option or
// file at fault.
#pragma once
#include <string>
#include <vector>

#include "data/image.h"
#include "tools/options.h"

namespace p2p {

struct BenchOptions {
  std::string model = "pix2pix";     // the model's own options come from its table
  std::string batch_sizes = "1,16";  // comma-separated
  int size = 256;
  std::string device;                                // empty = cuda when a GPU is present
  std::string precision = TrainOptions{}.precision;  // as train's --precision
  int warmup = 5, iters = 50;
  uint64_t seed = 0;
  int threads = 4;
  std::string json;  // empty = no JSON output
};

// `sample`: what a generative checkpoint (dcgan, vae) draws; see sample_command.cpp.
struct SampleOptions {
  std::string checkpoint, out;
  int count = 64;
  uint64_t seed = 0;
  std::string interpolate;  // "SEED1,SEED2"; empty = none
  int steps = 8;
  std::string recon_dataroot;  // vae: images to reconstruct; empty = none
  std::string half = "none";   // of recon-dataroot's files, as train's --half
  std::string device;
};

class ModelKind;

// Trains (or resumes) as described in train_command.cpp; writes under <checkpoints-dir>/<name>/.
void run_train(TrainOptions opt, ModelKind& kind, Console& con);
// Runs a checkpoint over a split; writes images, index.html and metrics under <results-dir>/<name>/.
void run_test(const TestOptions& opt, Console& con);
// Writes the images of a dcgan or vae checkpoint under opt.out (sample_command.cpp).
void run_sample(const SampleOptions& opt, Console& con);
// Writes a synthetic AB dataset (data/synthetic.h).
void run_synth(const SynthOptions& opt, Console& con);
// Times the model's train_step per batch size, with and without data loading (see bench_command.cpp);
// prints a table and optionally writes it as JSON.
void run_bench(const BenchOptions& opt, ModelKind& kind, Console& con);

// The README's option tables, Markdown: train's, then each registered model's (`options --markdown`).
std::string options_markdown();

// The command line: parses argv (argv[0] the program name), runs the subcommand, prints errors to
// con.err; returns the process exit code (0 success, non-zero on any error).
int run_cli(int argc, const char* const* argv, Console& con);

// The images left to right on one canvas (all of the same height).
Image side_by_side(const std::vector<Image>& images);

}  // namespace p2p
