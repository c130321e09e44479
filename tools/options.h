// The options of the gan command's subcommands that no model owns, with their defaults, and how
// they map onto the data.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/aligned_dataset.h"
#include "data/image_folder.h"
#include "data/unaligned_dataset.h"
#include "models/option_table.h"
#include "runtime/device.h"

namespace p2p {

class ModelKind;  // tools/model_kind.h

// Where the commands print: progress and tables to out, warnings to err. On a terminal (tty) the
// training progress is one line redrawn with \r; otherwise plain lines.
struct Console {
  std::ostream& out;
  std::ostream& err;
  bool tty = false;
};

// The options of `train` that every model shares (the data, the schedule, the outputs), with their
// defaults; each model's own come from its table (tools/model_kind.h). train_option_table()
// describes each for the command line, opt.txt, the checkpoint and the README.
struct TrainOptions {
  std::string dataroot, name = "experiment", checkpoints_dir = "./checkpoints", model = "pix2pix";
  std::string dataset_mode = "auto", direction = "AtoB";
  int epochs = 100, epochs_decay = 100;
  int64_t max_iters = 0;  // 0 = no limit
  int batch_size = 1;
  std::string preprocess = "resize_and_crop";
  int load_size = 286, crop_size = 256;
  bool no_flip = false;
  std::string half = "none";       // the image models' folder: one half of each file (data/image_folder.h)
  std::string device;              // cpu | cuda; empty = cuda when a GPU is present
  std::string precision = "tf32";  // the CUDA convolutions' ConvPrecision (kernels/conv2d.h), as PyTorch's default
  bool no_graph = false;           // CUDA: each step kernel by kernel instead of one CUDA graph
  uint64_t seed = 0;
  int threads = 4;
  // Decoded, resized pairs kept in memory (data/pair_cache.h), in MiB; 0 = off. 1024 holds facades
  // (400 pairs at 286x286, 196 MB as 8-bit) five times over, and maps (1096 pairs, 538 MB), while
  // staying small beside a GPU machine's host memory; a set that does not fit is cached up to the
  // bound and the rest decoded each time.
  int cache_mb = 1024;
  bool skip_bad_files = false;  // leave out, with a warning each, files the start-up scan rejects
  int print_freq = 100, sample_freq = 400, save_epoch_freq = 5, save_latest_freq = 5000;
  // Steps between rows of training-health numbers in loss_log.csv (models/health.h); 0 = off. At 100
  // a watched step's extra reads cost well under 1 % of the steps between (bench/bench_health.cpp).
  int health_freq = 100;
  // The training report (tools/training_report.h): rewritten every report_freq steps and at the end
  // (a G forward and two D forwards on report_images inputs, and a read of the loss log: well under
  // a step's cost per 500 steps).
  int report_freq = 500, report_images = 4;
  // CUDA convolutions: the fixed table's launch configuration per layer instead of timing the
  // candidates at each layer's first use (kernels/conv_config.h).
  bool no_autotune = false;
  bool resume = false;
};
const OptionTable<TrainOptions>& train_option_table();

struct TestOptions {
  std::string dataroot, name = "experiment", checkpoints_dir = "./checkpoints", epoch = "latest", phase = "test",
                        results_dir = "./results", direction, device;  // direction empty = as trained
  std::string model;                  // empty = the checkpoint's; else it must be the checkpoint's
  std::string dataset_mode = "auto";  // as TrainOptions'; split keeps the ground truth of AB files
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

// The train options' limits and the checks that need several of them (crop vs load size, the name,
// the schedule's length); errors name the option.
void validate(const TrainOptions& o);
// The data options of --model `kind` (its channels: ModelKind::data_channels).
DatasetOptions dataset_options(const TrainOptions& o, const ModelKind& kind);
// The image folder of a model of single images (dcgan, vae) at its image side.
ImageFolderOptions image_folder_options(const TrainOptions& o, int image_size);

// The data of a model: aligned AB pairs (pix2pix) or two unaligned domains (cycle_gan), as
// --dataset-mode says: aligned, unaligned (<phase>A/, <phase>B/), split (AB files into two domains)
// or auto (aligned for a paired model; for an unpaired one unaligned when <phase>A/ exists, else
// split). `testing`: the unaligned B of item i is B[i] (the official test's serial order).
struct ModelData {
  std::unique_ptr<AlignedDataset> aligned;
  std::unique_ptr<UnalignedDataset> unaligned;
  std::unique_ptr<ImageFolder> images;  // the single images of dcgan and vae
  SampleSource& source();
  std::string folder() const;
  bool paired() const { return aligned || split; }  // has ground truth B for each A
  bool split = false;
  // The start-up scan of each part (check_dataset below).
  void check(bool skip_bad_files, int threads, Console& con);
};
ModelData open_model_data(const DatasetOptions& d, const std::string& mode, bool unpaired_model,
                          const std::string& model, bool testing);

// The start-up scan (AlignedDataset::scan) of every file, then, when the cache holds the whole set,
// its parallel fill on `threads` threads, which decodes every file. Bad files end in one error that
// names them all (up to 10), or with skip_bad_files in one warning each on con.err and are left
// out. Prints what the cache holds.
void check_dataset(AlignedDataset& ds, bool skip_bad_files, int threads, Console& con);
// The U-Net needs H and W divisible by 2^num_downs; the error names the size's source and --num-downs.
void check_unet_size(int h, int w, int num_downs, const std::string& source);

}  // namespace p2p
