// bench_health: what training health (models/health.h) costs against the step it watches, on the
// device the build and machine offer (CUDA when present, else the CPU references).
//
// Each iteration runs an unwatched train_step, then a watched train_step followed by the gather
// (the statistics kernels of kernels/stats.h and the one copy back), timed apart; the reported
// (manual) time is the watched step with its gather. Counters:
//   step_ms        an unwatched step
//   extra_ms       watched step + gather - step: what watching adds to one step (noisy where
//                  the step is long: the difference of two step times)
//   gather_ms      the gather alone (its part of extra_ms without the step's noise; the rest of
//                  watching is two reductions over D's logits inside the step)
//   overhead_pct   extra / (F step) * 100 at the default --health-freq F (tools/options.h): the
//                  share of training time health costs; the issue asks for under 2 %
// Benchmark names: health/<model>/<networks>/s<size>/n<batch>; "default" is the model's own
// default networks (unet_256 + 70x70 PatchGAN; resnet_9blocks + two PatchGANs), "tiny" the
// 8-filter pix2pix of the CLI tests (num_downs 6), small enough for a CPU.
//   build/bench/bench_health --benchmark_filter=tiny             (a CPU)
//   build/bench/bench_health                                      (a GPU: every case)
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "models/cycle_gan.h"
#include "models/pix2pix.h"
#include "runtime/device.h"
#include "tools/options.h"

namespace {

using namespace p2p;
using Clock = std::chrono::steady_clock;

Tensor random_images(int n, int size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(size_t(n) * 3 * size * size);
  for (float& x : v) x = u(rng);
  return Tensor::from_vector({n, 3, size, size}, v);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// M: Pix2Pix or CycleGAN, built from options o, stepping on one fixed random batch.
template <class M, class O>
void bench_health(benchmark::State& state, O o, int size, int batch) {
  const Device dev = cuda_available() && !cuda_emulated() ? Device::CUDA : Device::CPU;
  M m(o, dev);
  const Tensor A = random_images(batch, size, 1), B = random_images(batch, size, 2);
  m.train_step(A, B);  // warm-up: buffers allocated, kernels loaded
  const int freq = TrainOptions{}.health_freq;
  double step_s = 0, watched_s = 0, gather_s = 0;
  for (auto _ : state) {
    Clock::time_point t0 = Clock::now();
    m.train_step(A, B);  // ends with the losses' copy back: the device is idle after it
    step_s += seconds_since(t0);
    t0 = Clock::now();
    m.health().watch(true);
    m.train_step(A, B);
    const Clock::time_point t1 = Clock::now();
    benchmark::DoNotOptimize(m.health().gather(m.step()));
    gather_s += seconds_since(t1);
    m.health().watch(false);
    const double w = seconds_since(t0);
    watched_s += w;
    state.SetIterationTime(w);
  }
  const double n = double(state.iterations()), extra = (watched_s - step_s) / n;
  state.counters["step_ms"] = 1e3 * step_s / n;
  state.counters["extra_ms"] = 1e3 * extra;
  state.counters["gather_ms"] = 1e3 * gather_s / n;
  state.counters["overhead_pct"] = 100.0 * extra / (freq * step_s / n);
  state.SetLabel(std::string(device_name(dev)) + ", --health-freq " + std::to_string(freq));
}

void register_all() {
  auto add = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->UseManualTime()->Unit(benchmark::kMillisecond);
  };
  for (int n : {1, 16}) {
    add("health/pix2pix/default/s256/n" + std::to_string(n),
        [n](benchmark::State& s) { bench_health<Pix2Pix>(s, Pix2PixOptions{}, 256, n); });
    add("health/cycle_gan/default/s256/n" + std::to_string(n),
        [n](benchmark::State& s) { bench_health<CycleGAN>(s, CycleGANOptions{}, 256, n); });
  }
  Pix2PixOptions tiny;
  tiny.g.num_downs = 6;
  tiny.g.ngf = tiny.d.ndf = 8;
  add("health/pix2pix/tiny/s64/n1", [tiny](benchmark::State& s) { bench_health<Pix2Pix>(s, tiny, 64, 1); });
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
