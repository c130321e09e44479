// gan bench: the time of one whole training step of --model (pix2pix: G forward; D forward and
// backward on the fake pair, then on the real pair; G's backward through D and the L1 term; both
// Adam updates; cycle_gan: the step of models/cycle_gan.h, the synthetic pairs taken as unpaired), on synthetic
// facade-like pairs, for each --batch-sizes value in two modes:
//
//   data excluded  one fixed batch, already on the device, fed to every step: the step alone.
//   data included  batches from a Loader (PNG decoding, resize_and_crop, flips on --threads
//                  background threads; the pairs kept by the default --cache-mb after their first
//                  visit; on CUDA staged in pinned memory) over a synthetic dataset written to a
//                  temporary folder, copied to the device by train_step: what `gan train` does
//                  each step. The dataset holds about 64 pairs, at least 8 batches and a whole
//                  number of them (so every step has the same shape); each new epoch restarts the
//                  loader, as in training.
//
// On CUDA, a model that graphs its step (pix2pix: runtime/step_graph.h) is timed in each mode twice:
// with the graph (as `gan train` runs, the row with graph on, first) and without it (--no-graph);
// the warm-up steps include the graph's capture.
//
// Each batch size gets a fresh model; each mode (and graph setting) runs --warmup untimed steps, then
// --iters timed ones. ms/step mean = the time from a synchronize before the first timed step to one after the
// last, divided by --iters. min and median are over the per-step times of that same pass: every
// step ends with a synchronize, which costs nothing extra because train_step already waits for the
// GPU when it reads its losses back, so no second pass is needed. images/s = batch / mean. The
// cudaMalloc calls made during the timed steps are counted: the caching allocator serves every
// step after the first, so on CUDA this must be 0 (a warning is printed otherwise).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "data/loader.h"
#include "data/synthetic.h"
#include "kernels/conv2d.h"
#include "kernels/conv_config.h"
#include "runtime/allocator.h"
#include "runtime/check.h"
#include "tools/commands.h"
#include "tools/model_kind.h"

namespace p2p {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<int> parse_batch_sizes(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int64_t v = parse_option_int(item, "--batch-sizes '" + text + "'");
    P2P_CHECK(v >= 1 && v <= 1 << 20, "--batch-sizes '" << text << "': batch size " << v << " is less than 1");
    sizes.push_back(static_cast<int>(v));
  }
  P2P_CHECK(!sizes.empty(), "--batch-sizes is empty (expected e.g. 1,16)");
  return sizes;
}

// A temporary folder, removed with everything in it when the bench ends (also on an error).
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "p2p_bench_XXXXXX").string();
    P2P_CHECK(::mkdtemp(tmpl.data()), "cannot create a temporary folder under " << fs::temp_directory_path());
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Timing {
  double mean_ms, min_ms, median_ms, images_per_s;
  size_t cuda_mallocs;
};

// --warmup untimed steps, then --iters timed ones; next() gives each step's batch.
Timing time_steps(TrainModel& model, int batch, const BenchOptions& o, const std::function<const Batch&()>& next) {
  for (int i = 0; i < o.warmup; ++i) {
    const Batch& b = next();
    model.train_step(b.A, b.B);
  }
  std::vector<double> step_ms(static_cast<size_t>(o.iters));
  synchronize();
  const size_t mallocs0 = allocator_stats().cuda_mallocs;
  const auto t0 = Clock::now();
  auto t = t0;
  for (double& ms : step_ms) {
    const Batch& b = next();
    model.train_step(b.A, b.B);
    synchronize();
    const auto now = Clock::now();
    ms = std::chrono::duration<double, std::milli>(now - t).count();
    t = now;
  }
  Timing r;
  r.cuda_mallocs = allocator_stats().cuda_mallocs - mallocs0;
  r.mean_ms = std::chrono::duration<double, std::milli>(t - t0).count() / o.iters;
  std::sort(step_ms.begin(), step_ms.end());
  r.min_ms = step_ms.front();
  const size_t mid = step_ms.size() / 2;
  r.median_ms = step_ms.size() % 2 ? step_ms[mid] : 0.5 * (step_ms[mid - 1] + step_ms[mid]);
  r.images_per_s = batch / (r.mean_ms / 1000.0);
  return r;
}

// "--name value" for each option, space-separated.
std::string options_line(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (const auto& [k, v] : values) out += (out.empty() ? "--" : " --") + k + " " + (v.empty() ? "''" : v);
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

}  // namespace

void run_bench(const BenchOptions& o, ModelKind& kind, Console& con) {
  const std::vector<int> batch_sizes = parse_batch_sizes(o.batch_sizes);
  P2P_CHECK(o.iters >= 1, "--iters " << o.iters << ": expected at least 1 timed step");
  P2P_CHECK(o.warmup >= 0, "--warmup " << o.warmup << ": expected 0 or more");
  P2P_CHECK(o.threads >= 0, "--threads " << o.threads << ": expected 0 or more");
  P2P_CHECK(o.size >= 16, "--size " << o.size << ": expected at least 16");

  // The run is `train` with its defaults and the model options given here; the image size is
  // checked as --size.
  kind.validate();
  kind.check_size(o.size, o.size, "--size " + std::to_string(o.size));
  TrainOptions t;
  t.seed = o.seed;
  t.threads = o.threads;
  t.crop_size = o.size;
  t.load_size = 2 * static_cast<int>(o.size * 286.0 / 512.0 + 0.5);  // 286 for 256, as the official scale
  const Device dev = resolve_device(o.device);
  const ConvPrecisionScope precision(parse_conv_precision(o.precision));

  std::ofstream json;
  if (!o.json.empty()) {
    json.open(o.json, std::ios::trunc);
    P2P_CHECK(json, "--json " << o.json << ": cannot write this file");
  }

  con.out << "device: " << device_name(dev) << (dev == Device::CUDA ? " (" + cuda_device_info() + ")" : "")
          << ", convolutions " << o.precision << "\n"
          << "model: " << kind.name() << ", " << options_line(kind.values()) << "; " << o.size << "x" << o.size
          << " images (synthetic, loaded at " << t.load_size << " and cropped)\n"
          << "timing: " << o.warmup << " warm-up steps, then " << o.iters
          << " timed steps per row; mean = total / steps, min and median of the per-step times\n";
  char line[256];
  std::snprintf(line, sizeof line, "%5s  %-8s  %12s  %8s  %8s  %9s  %10s  %5s\n", "batch", "data", "ms/step mean",
                "min", "median", "images/s", "cudaMalloc", "graph");
  con.out << line << std::flush;

  std::ostringstream results;  // the JSON rows
  auto report = [&](int bs, const char* mode, bool graph, const Timing& r) {
    std::snprintf(line, sizeof line, "%5d  %-8s  %12.3f  %8.3f  %8.3f  %9.2f  %10zu  %5s\n", bs, mode, r.mean_ms,
                  r.min_ms, r.median_ms, r.images_per_s, r.cuda_mallocs, graph ? "on" : "off");
    con.out << line << std::flush;
    if (dev == Device::CUDA && r.cuda_mallocs > 0)
      con.err << "warning: batch " << bs << ", data " << mode << ": " << r.cuda_mallocs
              << " cudaMalloc calls during the timed steps (expected 0 after warm-up)\n";
    results << (results.tellp() > 0 ? ",\n" : "") << "    {\"batch_size\": " << bs << ", \"data\": \"" << mode
            << "\", \"ms_per_step_mean\": " << r.mean_ms << ", \"ms_per_step_min\": " << r.min_ms
            << ", \"ms_per_step_median\": " << r.median_ms << ", \"images_per_s\": " << r.images_per_s
            << ", \"cuda_mallocs\": " << r.cuda_mallocs << ", \"graph\": " << (graph ? "true" : "false") << "}";
  };

  // Each conv layer's launch configuration is autotuned at its first call (a warm-up step) and logged.
  const ConvTuneRun tuning(/*autotune=*/true, con.out);
  TempDir tmp;
  std::map<int, fs::path> datasets;  // by pair count
  for (int bs : batch_sizes) {
    // About 64 pairs and at least 8 batches, a whole number of them (every batch the same shape).
    const int pairs = bs * std::max(8, (64 + bs - 1) / bs);
    fs::path& root = datasets[pairs];
    if (root.empty()) {
      root = tmp.path / ("pairs" + std::to_string(pairs));
      write_synthetic_dataset(root.string(), pairs, 0, o.size, o.seed);
    }
    t.dataroot = root.string();
    AlignedDataset ds(dataset_options(t, kind));
    std::unique_ptr<TrainModel> model_ptr = kind.create(o.seed, dev);
    TrainModel& model = *model_ptr;
    const bool graphs = dev == Device::CUDA && model.set_graph(true);
    // One mode's rows: graph on then off where the model graphs its step, else the one row.
    auto time_mode = [&](const char* mode, const std::function<const Batch&()>& next) {
      for (bool graph : {true, false}) {
        if (graph && !graphs) continue;
        if (graphs) model.set_graph(graph);
        report(bs, mode, graph, time_steps(model, bs, o, next));
      }
    };

    // Data excluded: the first batch, decoded inline (no loader threads running while timed).
    Batch fixed;
    {
      Loader first(ds, bs, /*shuffle=*/false, /*threads=*/0, /*prefetch=*/1);
      first.start_epoch(0);
      first.next(fixed);
    }
    fixed.A = fixed.A.to(dev);
    fixed.B = fixed.B.to(dev);
    time_mode("excluded", [&]() -> const Batch& { return fixed; });

    // Data included: the trainer's loader, epoch after epoch, on the same model.
    Loader loader(ds, bs, /*shuffle=*/true, t.threads, std::max(2, 2 * t.threads), dev == Device::CUDA);
    uint64_t epoch = 0;
    loader.start_epoch(epoch);
    Batch batch;
    time_mode("included", [&]() -> const Batch& {
      while (!loader.next(batch)) loader.start_epoch(++epoch);
      return batch;
    });
  }

  if (json.is_open()) {
    json << "{\n  \"device\": " << json_string(device_name(dev))
         << ",\n  \"device_info\": " << json_string(dev == Device::CUDA ? cuda_device_info() : "")
         << ", \"precision\": " << json_string(o.precision) << ",\n  \"model\": " << json_string(kind.name())
         << ", \"options\": " << json_object(kind.metadata()) << ",\n  \"size\": " << o.size
         << ", \"load_size\": " << t.load_size << ",\n  \"warmup\": " << o.warmup << ", \"iters\": " << o.iters
         << ", \"seed\": " << o.seed << ", \"threads\": " << o.threads << ",\n  \"results\": [\n"
         << results.str() << "\n  ]\n}\n";
    P2P_CHECK(json.flush(), "--json " << o.json << ": write failed");
    con.out << "wrote " << o.json << "\n";
  }
}

}  // namespace p2p
