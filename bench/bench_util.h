// Shared by every benchmark binary: the CUDA device check, device buffers with random contents,
// and the timing loop (CUDA events on p2p::cuda::stream(), reported as Google Benchmark manual time).
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "runtime/cuda_util.h"

namespace p2p::bench {

// A float array in device memory, filled with uniform values in [-1, 1) from a fixed seed.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(int64_t n, uint32_t seed = 1) : n_(n) {
    CUDA_CHECK(cudaMalloc(&p_, bytes() > 0 ? bytes() : 1));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> host(static_cast<size_t>(n));
    for (float& v : host) v = u(rng);
    CUDA_CHECK(cudaMemcpy(p_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  ~DeviceBuffer() { cudaFree(p_); }

  float* get() const { return p_; }
  int64_t size() const { return n_; }
  size_t bytes() const { return static_cast<size_t>(n_) * sizeof(float); }
  void fill(float value) {  // on the host side, outside any timing
    std::vector<float> host(static_cast<size_t>(n_), value);
    CUDA_CHECK(cudaMemcpy(p_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  void zero_async() const { CUDA_CHECK(cudaMemsetAsync(p_, 0, bytes(), cuda::stream())); }

 private:
  float* p_ = nullptr;
  int64_t n_ = 0;
};

// Workspace bytes (cuDNN), allocated outside the timed region.
class DeviceBytes {
 public:
  explicit DeviceBytes(size_t n = 0) {
    if (n > 0) CUDA_CHECK(cudaMalloc(&p_, n));
  }
  DeviceBytes(const DeviceBytes&) = delete;
  DeviceBytes& operator=(const DeviceBytes&) = delete;
  DeviceBytes& operator=(DeviceBytes&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~DeviceBytes() { cudaFree(p_); }
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

// The benchmark fixture (buffers, plans) of the benchmarks now running, made on first use and kept
// while the key stays the same. A shape's benchmarks are registered, hence run, one after another,
// so its buffers are made once and freed before the next shape's are allocated.
template <class Case, class... Args>
Case& current_case(const std::string& key, const Args&... args) {
  static std::string current;
  static std::unique_ptr<Case> c;
  if (!c || current != key) {
    c.reset();
    c = std::make_unique<Case>(args...);
    current = key;
  }
  return *c;
}

// What one benchmark did, for its counters: the work per run in FLOPs and/or bytes moved.
struct Work {
  double flops = 0;  // GFLOP/s counter when > 0
  double bytes = 0;  // GB/s counter when > 0
};

// Runs `reset(); op();` once as a warm-up (first-call set-up, caching allocator, cuDNN plans), then
// once per benchmark iteration with only op() between two CUDA events; reset() (for example a
// memset of an accumulated output) runs before the start event, outside the timed interval.
// Errors (p2p::Error, CUDA, cuDNN) end the benchmark with SkipWithError instead of the process.
template <class Reset, class Op>
void time_op(benchmark::State& state, const Work& work, Reset reset, Op op) {
  try {
    cudaStream_t s = cuda::stream();
    reset();
    op();
    CUDA_CHECK(cudaStreamSynchronize(s));
    cudaEvent_t start, stop;
    CUDA_CHECK(cudaEventCreate(&start));
    CUDA_CHECK(cudaEventCreate(&stop));
    double total_s = 0;
    for (auto _ : state) {
      reset();
      CUDA_CHECK(cudaEventRecord(start, s));
      op();
      CUDA_CHECK(cudaEventRecord(stop, s));
      CUDA_CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
      state.SetIterationTime(ms * 1e-3);
      total_s += ms * 1e-3;
    }
    CUDA_CHECK(cudaEventDestroy(start));
    CUDA_CHECK(cudaEventDestroy(stop));
    // Plain counters computed from the event times (not Google Benchmark rates, which would use
    // the CPU time): work per run / mean time per run.
    const double runs = static_cast<double>(state.iterations());
    if (total_s > 0 && work.flops > 0) state.counters["GFLOP/s"] = work.flops * runs / total_s * 1e-9;
    if (total_s > 0 && work.bytes > 0) state.counters["GB/s"] = work.bytes * runs / total_s * 1e-9;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

template <class Op>
void time_op(benchmark::State& state, const Work& work, Op op) {
  time_op(
      state, work, [] {}, op);
}

// Common registration options: event times as manual time, in milliseconds.
inline benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b) {
  return b->UseManualTime()->Unit(benchmark::kMillisecond);
}

// The main of every benchmark binary, after `register_all` has registered its cases: refuses to run
// without a CUDA device (exit status 2), records the GPU in the JSON context, runs the benchmarks.
template <class Register>
int bench_main(int argc, char** argv, const char* what, Register register_all) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::fprintf(stderr, "%s: no CUDA device (%s); these benchmarks need a GPU, nothing was measured\n", what,
                 err != cudaSuccess ? cudaGetErrorString(err) : "device count 0");
    return 2;
  }
  int dev = 0;
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDevice(&dev));
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  benchmark::AddCustomContext("gpu", prop.name);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace p2p::bench
