#include "tools/options.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "runtime/check.h"

namespace p2p {
namespace {

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", x);  // for people: 2e-4f shows as 0.0002
  return buf;
}

}  // namespace

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

std::vector<std::pair<std::string, std::string>> option_values(const TrainOptions& o) {
  return {{"dataroot", o.dataroot},
          {"name", o.name},
          {"checkpoints-dir", o.checkpoints_dir},
          {"direction", o.direction},
          {"epochs", std::to_string(o.epochs)},
          {"epochs-decay", std::to_string(o.epochs_decay)},
          {"max-iters", std::to_string(o.max_iters)},
          {"batch-size", std::to_string(o.batch_size)},
          {"lr", num(o.lr)},
          {"beta1", num(o.beta1)},
          {"lambda-l1", num(o.lambda_l1)},
          {"netG", o.netG},
          {"num-downs", std::to_string(o.num_downs)},
          {"ngf", std::to_string(o.ngf)},
          {"ndf", std::to_string(o.ndf)},
          {"n-layers-d", std::to_string(o.n_layers_d)},
          {"norm", o.norm},
          {"dropout", o.dropout ? "true" : "false"},
          {"gan-mode", o.gan_mode},
          {"preprocess", o.preprocess},
          {"load-size", std::to_string(o.load_size)},
          {"crop-size", std::to_string(o.crop_size)},
          {"no-flip", o.no_flip ? "true" : "false"},
          {"device", o.device.empty() ? "auto" : o.device},
          {"seed", std::to_string(o.seed)},
          {"threads", std::to_string(o.threads)},
          {"cache-mb", std::to_string(o.cache_mb)},
          {"skip-bad-files", o.skip_bad_files ? "true" : "false"},
          {"print-freq", std::to_string(o.print_freq)},
          {"sample-freq", std::to_string(o.sample_freq)},
          {"save-epoch-freq", std::to_string(o.save_epoch_freq)},
          {"save-latest-freq", std::to_string(o.save_latest_freq)},
          {"resume", o.resume ? "true" : "false"}};
}

std::string options_table(const TrainOptions& o) {
  auto values = option_values(o), defaults = option_values(TrainOptions{});
  std::ostringstream os;
  os << "----------------- Options ---------------\n";
  for (size_t i = 0; i < values.size(); ++i) {
    char line[512];
    std::snprintf(line, sizeof line, "%18s: %-30s", values[i].first.c_str(), values[i].second.c_str());
    os << line;
    if (values[i].second != defaults[i].second)
      os << "\t[default: " << (defaults[i].second.empty() ? "none" : defaults[i].second) << "]";
    os << "\n";
  }
  os << "----------------- End -------------------\n";
  return os.str();
}

void check_unet_size(int h, int w, int num_downs, const std::string& source) {
  const int m = 1 << num_downs;
  P2P_CHECK(h % m == 0 && w % m == 0, source << " gives " << w << "x" << h << " images, but a U-Net with --num-downs "
                                             << num_downs << " needs sizes divisible by 2^" << num_downs << " = " << m
                                             << " (try a multiple of " << m << " or a smaller --num-downs)");
}

void validate(TrainOptions& o) {
  if (!o.netG.empty()) {
    int n = o.netG == "unet_256" ? 8 : o.netG == "unet_128" ? 7 : 0;
    P2P_CHECK(n, "--netG: unknown value '" << o.netG << "' (expected unet_256 or unet_128)");
    P2P_CHECK(o.num_downs == TrainOptions{}.num_downs || o.num_downs == n,
              "--netG " << o.netG << " means --num-downs " << n << ", but --num-downs " << o.num_downs << " was given");
    o.num_downs = n;
  }
  P2P_CHECK(o.num_downs >= 5 && o.num_downs <= 12, "--num-downs " << o.num_downs << ": expected 5 to 12");
  P2P_CHECK(o.epochs + o.epochs_decay >= 1, "--epochs + --epochs-decay must be at least 1");
  P2P_CHECK(!o.name.empty() && o.name.find('/') == std::string::npos,
            "--name '" << o.name << "': must be a non-empty folder name without '/'");
  P2P_CHECK(o.load_size > 0 && o.crop_size > 0, "--load-size and --crop-size must be positive");
  bool crops = o.preprocess.find("crop") != std::string::npos;
  if (crops && o.preprocess != "crop")
    P2P_CHECK(o.crop_size <= o.load_size, "--crop-size " << o.crop_size << " is larger than --load-size " << o.load_size
                                                         << " (--preprocess " << o.preprocess << ")");
  if (crops) check_unet_size(o.crop_size, o.crop_size, o.num_downs, "--crop-size " + std::to_string(o.crop_size));
  if (o.preprocess == "scale_width")
    P2P_CHECK(o.load_size % (1 << o.num_downs) == 0,
              "--load-size " << o.load_size << " (--preprocess scale_width) is not divisible by 2^" << o.num_downs
                             << " = " << (1 << o.num_downs) << " as the U-Net with --num-downs " << o.num_downs
                             << " needs");
}

Pix2PixOptions model_options(const TrainOptions& o) {
  Pix2PixOptions m;
  m.num_downs = o.num_downs;
  m.ngf = o.ngf;
  m.ndf = o.ndf;
  m.n_layers_d = o.n_layers_d;
  m.norm = parse_norm(o.norm);
  m.dropout = o.dropout;
  m.gan_mode = o.gan_mode;
  m.lr = o.lr;
  m.beta1 = o.beta1;
  m.lambda_l1 = o.lambda_l1;
  m.epochs = o.epochs;
  m.epochs_decay = o.epochs_decay;
  m.seed = o.seed;
  return m;
}

DatasetOptions dataset_options(const TrainOptions& o) {
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
  return d;
}

void check_dataset(AlignedDataset& ds, bool skip_bad_files, int threads, Console& con) {
  auto handle = [&](const std::vector<BadFile>& bad, const char* found_by) {
    if (bad.empty()) return;
    P2P_CHECK(skip_bad_files, "--dataroot '" << ds.options().dataroot << "': " << found_by << ", "
                                             << bad_files_message(bad)
                                             << "\n(fix or remove them, or pass --skip-bad-files to leave them out)");
    for (const BadFile& b : bad) con.err << "warning: --skip-bad-files: leaving out " << b.problem << "\n";
    ds.remove_files(bad);
  };
  const AlignedDataset::ScanResult scan = ds.scan();
  handle(scan.bad, "the scan of the file headers found that");
  const PairCache* cache = ds.cache();
  if (!cache) return;
  // A set that fits is decoded now, in parallel: the first epoch would do the same work anyway, and
  // a broken file is found before training rather than hours into it. A larger set fills as it is
  // read (its first pairs stay), so start-up stays short.
  const size_t bytes = scan.pair_bytes;
  if (bytes <= cache->max_bytes()) {
    const auto t0 = std::chrono::steady_clock::now();
    handle(ds.prefill(std::max(1, threads)), "decoding every file found that");
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
