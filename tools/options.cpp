#include "tools/options.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <sstream>

#include "runtime/check.h"
#include "tools/model_kind.h"

namespace fs = std::filesystem;

namespace p2p {
const OptionTable<TrainOptions>& train_option_table() {
  static const OptionTable<TrainOptions> table([](OptionTable<TrainOptions>& t) {
    using O = TrainOptions;
    using R = OptionRole;
    t.add("dataroot", &O::dataroot, "the data: see `--dataset-mode`", R::free);
    t.add("name", &O::name, "experiment name: checkpoints go to <checkpoints-dir>/<name>", R::free);
    t.add("checkpoints-dir", &O::checkpoints_dir, "where experiments are saved", R::free);
    t.add("model", &O::model,
          "`pix2pix` (aligned pairs), `cycle_gan` (unpaired domains), `dcgan` or `vae` (single images)", R::run);
    t.add("dataset-mode", &O::dataset_mode,
          "`aligned` (AB files), `unaligned` (trainA/, trainB/), `split` (AB files as two unpaired domains) or "
          "`auto` (aligned for pix2pix; for cycle_gan unaligned when trainA/ exists, else split)",
          R::run, {"auto", "aligned", "unaligned", "split"});
    t.add("direction", &O::direction, "`AtoB` or `BtoA` (facades is trained `BtoA`, labels to photo)", R::run,
          {"AtoB", "BtoA"});
    t.range("epochs", &O::epochs, "epochs at the initial learning rate", R::run, 0);
    t.range("epochs-decay", &O::epochs_decay, "then epochs of linear decay to zero", R::run, 0);
    t.range("max-iters", &O::max_iters, "stop after this many steps in all (0 = no limit)", R::free, 0);
    t.range("batch-size", &O::batch_size, "images per step", R::run, 1);
    t.add("preprocess", &O::preprocess,
          "`resize_and_crop` (bicubic resize to --load-size, random crop --crop-size), `crop`, `scale_width`, "
          "`scale_width_and_crop` or `none`",
          R::run, {"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"});
    t.range("load-size", &O::load_size, "resize to this size", R::run, 1);
    t.range("crop-size", &O::crop_size, "then crop to this size", R::run, 1);
    t.add("no-flip", &O::no_flip, "no random horizontal flips", R::run);
    t.add("half", &O::half,
          "dcgan and vae: `left` or `right` takes that half of each file (facades' AB files give their photos "
          "with `left`), `none` the whole image",
          R::run, {"none", "left", "right"});
    t.add("device", &O::device, "`cuda` or `cpu` (empty: cuda when a GPU is present)", R::free, {"", "cpu", "cuda"});
    t.add("precision", &O::precision,
          "the CUDA convolutions' arithmetic: `tf32` (tensor cores: the factors of each product rounded to 10 "
          "mantissa bits, sums in float, as PyTorch's default) or `fp32` (float kernels); the CPU is always exact",
          R::run, {"fp32", "tf32"})
        .implied_when_absent("fp32");  // the only kernels before the option
    t.add("no-graph", &O::no_graph,
          "on CUDA, run each step kernel by kernel instead of as one CUDA graph (pix2pix; the same bits either way)",
          R::free);
    t.add("seed", &O::seed, "initialisation, data order, augmentation and dropout all derive from it", R::run);
    t.range("threads", &O::threads, "data loading threads (0 = decode inside the training loop)", R::free, 0, 256);
    t.range("cache-mb", &O::cache_mb, "MiB of decoded, resized images kept in memory (0 = off)", R::free, 0, 1 << 20);
    t.add("skip-bad-files", &O::skip_bad_files,
          "leave out, with a warning each, the files the start-up scan rejects (default: stop and list them)", R::free);
    t.range("print-freq", &O::print_freq, "steps between progress lines", R::free, 1);
    t.range("sample-freq", &O::sample_freq, "steps between sample images (0 = none)", R::free, 0);
    t.range("health-freq", &O::health_freq,
            "steps between training-health rows in loss_log.csv: gradient norms, update ratios, activations, D's "
            "verdicts (0 = none)",
            R::free, 0);
    t.range("report-freq", &O::report_freq,
            "steps between rewrites of report.html (charts, samples on fixed inputs, D maps; also at the end; 0 = "
            "no report)",
            R::free, 0);
    t.range("report-images", &O::report_images, "the report's fixed inputs: the first items of the training set",
            R::free, 1, 64);
    t.range("save-epoch-freq", &O::save_epoch_freq, "epochs between epoch_<N> checkpoints (0 = none)", R::free, 0);
    t.range("save-latest-freq", &O::save_latest_freq, "steps between latest checkpoints (0 = epoch ends only)", R::free,
            0);
    t.add("no-autotune", &O::no_autotune,
          "CUDA: each conv layer's launch configuration from a fixed table, not timed at its first use (the choices "
          "are logged and saved in checkpoints; --resume keeps the saved ones)",
          R::free);
    t.add("resume", &O::resume, "continue from <checkpoints-dir>/<name>/latest.safetensors", R::free);
  });
  return table;
}

Device resolve_device(const std::string& device) {
  // The emulation runs the kernels on the CPU far slower than the CPU reference: only on request.
  if (device.empty()) return cuda_available() && !cuda_emulated() ? Device::CUDA : Device::CPU;
  Device d = parse_device(device);
  if (d == Device::CUDA) {
    P2P_CHECK(built_with_cuda(), "--device cuda: this build has no CUDA support; use --device cpu");
    P2P_CHECK(cuda_available(), "--device cuda: no CUDA device found; use --device cpu");
  }
  return d;
}

void check_unet_size(int h, int w, int num_downs, const std::string& source) {
  const int m = 1 << num_downs;
  P2P_CHECK(h % m == 0 && w % m == 0, source << " gives " << w << "x" << h << " images, but a U-Net with --num-downs "
                                             << num_downs << " needs sizes divisible by 2^" << num_downs << " = " << m
                                             << " (try a multiple of " << m << " or a smaller --num-downs)");
}

void validate(const TrainOptions& o) {
  train_option_table().check(o);
  P2P_CHECK(o.epochs + o.epochs_decay >= 1, "--epochs + --epochs-decay must be at least 1");
  P2P_CHECK(!o.name.empty() && o.name.find('/') == std::string::npos,
            "--name '" << o.name << "': must be a non-empty folder name without '/'");
  bool crops = o.preprocess.find("crop") != std::string::npos;
  if (crops && o.preprocess != "crop")
    P2P_CHECK(o.crop_size <= o.load_size, "--crop-size " << o.crop_size << " is larger than --load-size " << o.load_size
                                                         << " (--preprocess " << o.preprocess << ")");
}

DatasetOptions dataset_options(const TrainOptions& o, const ModelKind& kind) {
  DatasetOptions d;
  d.dataroot = o.dataroot;
  d.phase = "train";
  d.direction = o.direction;
  d.preprocess = o.preprocess;
  d.load_size = o.load_size;
  d.crop_size = o.crop_size;
  d.flip = !o.no_flip;
  d.seed = o.seed;
  d.cache_bytes = static_cast<size_t>(o.cache_mb) << 20;
  kind.data_channels(d);
  return d;
}

ImageFolderOptions image_folder_options(const TrainOptions& o, int image_size) {
  ImageFolderOptions f;
  f.root = o.dataroot;
  f.image_size = image_size;
  f.half = o.half;
  f.flip = !o.no_flip;
  f.seed = o.seed;
  f.cache_bytes = static_cast<size_t>(o.cache_mb) << 20;
  return f;
}

SampleSource& ModelData::source() {
  if (images) return *images;
  return aligned ? static_cast<SampleSource&>(*aligned) : *unaligned;
}

std::string ModelData::folder() const {
  if (images) return images->options().root;
  return aligned ? aligned->folder() : unaligned->folder();
}

ModelData open_model_data(const DatasetOptions& d, const std::string& mode, bool unpaired_model,
                          const std::string& model, bool testing) {
  std::string m = mode;
  if (m == "auto")
    m = !unpaired_model ? "aligned" : fs::is_directory(fs::path(d.dataroot) / (d.phase + "A")) ? "unaligned" : "split";
  P2P_CHECK((m == "aligned") != unpaired_model,
            "--dataset-mode " << m << ": --model " << model << " trains on "
                              << (unpaired_model ? "two unpaired domains (unaligned or split)" : "aligned AB pairs"));
  ModelData data;
  data.split = m == "split";
  if (m == "aligned")
    data.aligned = std::make_unique<AlignedDataset>(d);
  else
    data.unaligned = std::make_unique<UnalignedDataset>(d, data.split, testing);
  return data;
}

void ModelData::check(bool skip_bad_files, int threads, Console& con) {
  if (images) {
    // The image models read a handful of files per step; a bad one is an error here, before training.
    const std::vector<BadFile> bad = images->scan();
    P2P_CHECK(bad.empty(), "--dataroot '" << images->options().root << "': the scan of the file headers found that "
                                          << bad_files_message(bad) << "\n(fix or remove them)");
    return;
  }
  if (aligned) return check_dataset(*aligned, skip_bad_files, threads, con);
  AlignedDataset &a = unaligned->domain_a(), &b = unaligned->domain_b();
  check_dataset(a, skip_bad_files, threads, con);
  if (!split) return check_dataset(b, skip_bad_files, threads, con);
  // Split, B's files are A's, scanned and decoded into the shared cache with both halves: B leaves
  // out what A left out, and decodes nothing again.
  std::vector<BadFile> left_out;
  for (const std::string& f : b.files())
    if (!std::binary_search(a.files().begin(), a.files().end(), f)) left_out.push_back({f, ""});
  b.remove_files(left_out);
}

void check_dataset(AlignedDataset& ds, bool skip_bad_files, int threads, Console& con) {
  auto handle = [&](const std::vector<BadFile>& bad, const char* found_by) {
    if (bad.empty()) return;
    P2P_CHECK(skip_bad_files, "--dataroot '" << ds.options().dataroot << "', " << found_by << ": "
                                             << bad_files_message(bad)
                                             << "\n(fix or remove them, or pass --skip-bad-files to leave them out)");
    for (const BadFile& b : bad) con.err << "warning: --skip-bad-files: leaving out " << b.problem << "\n";
    ds.remove_files(bad);
  };
  const AlignedDataset::ScanResult scan = ds.scan();
  handle(scan.bad, "start-up scan of the file headers");
  const PairCache* cache = ds.cache();
  if (!cache) return;
  // A set that fits is decoded now, in parallel: the first epoch would do the same work anyway, and
  // a broken file is found before training rather than hours into it. A larger set fills as it is
  // read (its first pairs stay), so start-up stays short.
  // What is left of the bound: the two domains of an unaligned set share one cache.
  const size_t bytes = scan.pair_bytes;
  if (bytes <= cache->max_bytes() - cache->bytes()) {
    const auto t0 = std::chrono::steady_clock::now();
    handle(ds.prefill(std::max(1, threads)), "start-up decoding of every file");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[160];
    std::snprintf(line, sizeof line, "cache: all %zu pairs decoded in %.1f s, %.0f MiB of --cache-mb %zu\n",
                  cache->count(), s, cache->bytes() / 1048576.0, cache->max_bytes() >> 20);
    con.out << line;
  } else {
    con.out << "cache: the pairs take " << (bytes >> 20) << " MiB, more than --cache-mb " << (cache->max_bytes() >> 20)
            << ": the first that fit stay cached, the rest are decoded at each visit\n";
  }
}

}  // namespace p2p
