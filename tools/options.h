// The options of the pix2pix command's subcommands, their defaults (the one table of defaults: the
// README shows the same table `pix2pix train` prints), and how they map onto the model and the data.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "data/aligned_dataset.h"
#include "models/pix2pix.h"
#include "runtime/device.h"

namespace p2p {

// Where the commands print: progress and tables to out, warnings to err. On a terminal (tty) the
// training progress is one line redrawn with \r; otherwise plain lines.
struct Console {
  std::ostream& out;
  std::ostream& err;
  bool tty = false;
};

struct TrainOptions {
  std::string dataroot, name = "experiment", checkpoints_dir = "./checkpoints", direction = "AtoB";
  int epochs = 100, epochs_decay = 100;
  int64_t max_iters = 0;  // 0 = no limit
  int batch_size = 1;
  float lr = 2e-4f, beta1 = 0.5f, lambda_l1 = 100.0f;
  int num_downs = 8;
  std::string netG;  // unet_256 | unet_128 (sets num_downs 8 | 7); empty = from num_downs
  int ngf = 64, ndf = 64, n_layers_d = 3;
  std::string norm = "batch";
  bool dropout = true;
  std::string gan_mode = "vanilla", preprocess = "resize_and_crop";
  int load_size = 286, crop_size = 256;
  bool no_flip = false;
  std::string device;  // cpu | cuda; empty = cuda when a GPU is present
  uint64_t seed = 0;
  int threads = 4;
  // Decoded, resized pairs kept in memory (data/pair_cache.h), in MiB; 0 = off. 1024 holds facades
  // (400 pairs at 286x286, 196 MB as 8-bit) five times over, and maps (1096 pairs, 538 MB), while
  // staying small beside a GPU machine's host memory; a set that does not fit is cached up to the
  // bound and the rest decoded each time.
  int cache_mb = 1024;
  bool skip_bad_files = false;  // leave out, with a warning each, files the start-up scan rejects
  int print_freq = 100, sample_freq = 400, save_epoch_freq = 5, save_latest_freq = 5000;
  bool resume = false;
};

struct TestOptions {
  std::string dataroot, name = "experiment", checkpoints_dir = "./checkpoints", epoch = "latest", phase = "test",
                        results_dir = "./results", direction, device;  // direction empty = as trained
  bool eval = false;
  int num_test = 0;             // 0 = all
  bool skip_bad_files = false;  // as TrainOptions'
};

struct SynthOptions {
  std::string out;
  int count = 200, test_count = 20, size = 256;
  uint64_t seed = 0;
};

// Resolves --device: empty = cuda when available, else cpu; "cuda" without a GPU is an error.
Device resolve_device(const std::string& device);

// (name, value) of every train option, with names as on the command line without "--", in the order
// of the table; device shows the resolved device when it was resolved.
std::vector<std::pair<std::string, std::string>> option_values(const TrainOptions& o);
// The official-style table: one "name: value" line per option, "[default: x]" where it differs.
std::string options_table(const TrainOptions& o);

// Checks that do not need the data (netG vs num_downs, crop vs load size, U-Net divisibility of the
// crop, frequencies); errors name the option.
void validate(TrainOptions& o);
Pix2PixOptions model_options(const TrainOptions& o);
DatasetOptions dataset_options(const TrainOptions& o);

// The start-up scan (AlignedDataset::scan) of every file, then, when the cache holds the whole set,
// its parallel fill on `threads` threads, which decodes every file. Bad files end in one error that
// names them all (up to 10), or with skip_bad_files in one warning each on con.err and are left
// out. Prints what the cache holds.
void check_dataset(AlignedDataset& ds, bool skip_bad_files, int threads, Console& con);
// The U-Net needs H and W divisible by 2^num_downs; the error names the size's source and --num-downs.
void check_unet_size(int h, int w, int num_downs, const std::string& source);

}  // namespace p2p
