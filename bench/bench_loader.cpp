// The input pipeline alone: images/s that the Loader delivers for pix2pix's default preprocessing
// (each half resized to 286x286, a random 256x256 crop, a random flip) at batch 16, with nothing
// consuming the batches. Two modes, each at 1, 2 and all hardware threads (Loader workers):
//
//   cold    a fresh dataset with an empty PairCache: every file read, decoded, split and resized
//           (the first epoch of `gan train`), while the cache fills;
//   cached  the whole set already in the PairCache (AlignedDataset::prefill, untimed): each sample
//           only cropped, flipped and converted into the batch (every later epoch).
//
// One iteration is one whole epoch. The data: the facades training set (P2P_FACADES, or
// shared/data/facades beside the repository: 400 JPEGs of 512x256), or, when absent, 400 synthetic
// AB pairs of the same size written as PNG by data/synthetic.h into a temporary folder. The run's
// context ("data") says which. Needs neither CUDA nor cuDNN.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "data/aligned_dataset.h"
#include "data/loader.h"
#include "data/synthetic.h"

namespace {
namespace fs = std::filesystem;
using namespace p2p;

constexpr int kBatch = 16;
constexpr size_t kCacheBytes = size_t{1} << 30;  // holds the 400 pairs at 286x286 (196 MB)

// The data folder, chosen (and for the synthetic set written) once per process.
struct Data {
  std::string root, what;
  fs::path tmp;  // the synthetic set's folder, removed at exit
  Data() {
    const char* env = std::getenv("P2P_FACADES");
    root = env ? env : P2P_FACADES_DIR;
    if (fs::is_directory(fs::path(root) / "train")) {
      what = "facades/train at " + root + " (JPEG)";
      return;
    }
    tmp = fs::temp_directory_path() / ("p2p_bench_loader_" + std::to_string(::getpid()));
    write_synthetic_dataset(tmp.string(), 400, 0, 256, 0);
    root = tmp.string();
    what = "synthetic: 400 pairs of 512x256 PNG (data/synthetic.h) in " + root + "; facades not found";
  }
  ~Data() {
    std::error_code ec;
    if (!tmp.empty()) fs::remove_all(tmp, ec);
  }
};

const Data& data() {
  static Data d;
  return d;
}

DatasetOptions options() {
  DatasetOptions o;
  o.dataroot = data().root;
  o.cache_bytes = kCacheBytes;
  return o;  // load 286, crop 256, flip: the defaults
}

void run_epochs(benchmark::State& state, AlignedDataset& ds, bool fresh_each_epoch) {
  const int threads = static_cast<int>(state.range(0));
  int64_t images = 0;
  uint64_t epoch = 0;
  for (auto _ : state) {
    if (fresh_each_epoch) {
      state.PauseTiming();
      ds = AlignedDataset(options());  // a new, empty cache
      state.ResumeTiming();
    }
    Loader loader(ds, kBatch, /*shuffle=*/true, threads, 2 * threads);
    loader.start_epoch(epoch++);
    Batch b;
    while (loader.next(b)) images += b.A.n();
    benchmark::DoNotOptimize(b.A.data());
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}

void BM_cold(benchmark::State& state) {
  AlignedDataset ds(options());
  run_epochs(state, ds, /*fresh_each_epoch=*/true);
}

void BM_cached(benchmark::State& state) {
  AlignedDataset ds(options());
  ds.prefill(static_cast<int>(std::thread::hardware_concurrency()));
  run_epochs(state, ds, /*fresh_each_epoch=*/false);
}

void thread_counts(benchmark::internal::Benchmark* b) {
  const int all = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  b->Arg(1);
  if (all >= 2) b->Arg(2);
  if (all > 2) b->Arg(all);
  b->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_cold)->Apply(thread_counts);
BENCHMARK(BM_cached)->Apply(thread_counts);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("data", data().what);
  benchmark::AddCustomContext("batch", std::to_string(kBatch) + " pairs, 256x256 crops of 286x286");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
