// The CUDA emulation's own checks (runtime/emu/cuda_runtime.h), each shown on a kernel written to
// trip it: launch limits, a barrier in divergent code, warp collectives whose lanes disagree or read
// outside their mask, and a missing __syncthreads that makes the result depend on the schedule; then
// stream capture and graph replay, and the calls a capture forbids. Built only in the emulation build.
#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "runtime/cuda_util.h"
#include "runtime/emu/emu.h"
#include "runtime/launch.h"
#include "runtime/tensor.h"

using namespace p2p;
using Catch::Contains;

namespace {

__global__ void write_index(float* out) { out[blockIdx.x * blockDim.x + threadIdx.x] = float(threadIdx.x); }

__global__ void divergent_barrier(int first_waiting) {
  if (int(threadIdx.x) < first_waiting) return;
  __syncthreads();
}

// Even lanes shuffle down, odd lanes xor: on a GPU undefined, here an error.
__global__ void disagreeing_lanes(int delta) {
  const float v =
      threadIdx.x % 2 ? __shfl_xor_sync(0xffffffffu, 1.0f, delta) : __shfl_down_sync(0xffffffffu, 1.0f, delta);
  (void)v;
}

// Lanes 0..15 shuffle among themselves: with width 32, lane 8 + 8 = 16 is outside their mask; with
// width 16 lanes 8..15 keep their own values.
__global__ void read_outside_mask(int delta, int width) {
  if (threadIdx.x < 16) (void)__shfl_down_sync(0x0000ffffu, 1.0f, delta, width);
}

// out[t] = base + 63 - t through shared memory; with_barrier false drops the __syncthreads between
// the stores and the loads, so a thread may read a slot another has not written yet.
__global__ void reverse_through_shared(float base, bool with_barrier, float* out) {
  __shared__ float s[64];
  s[threadIdx.x] = base + float(threadIdx.x);
  if (with_barrier) __syncthreads();
  out[threadIdx.x] = s[63 - threadIdx.x];
}

// p[i] = p[i] * scale + add, one thread per element.
__global__ void scale_add(float* p, float scale, float add) { p[threadIdx.x] = p[threadIdx.x] * scale + add; }

std::vector<float> reversed(float base, bool with_barrier, emu::Order order) {
  const emu::Schedule saved = emu::schedule();
  emu::set_schedule({order, 1});
  Tensor out({64}, Device::CUDA);
  P2P_LAUNCH(reverse_through_shared, 1, 64, base, with_barrier, out.data());
  emu::set_schedule(saved);
  return out.to_vector();
}

}  // namespace

TEST_CASE("emulation: launches beyond CUDA's limits are errors naming the kernel", "[emulation]") {
  Tensor out({64}, Device::CUDA);
  CHECK_THROWS_WITH(P2P_LAUNCH(write_index, 1, 2048, out.data()),
                    Contains("kernel write_index") && Contains("2048 threads per block exceed 1024"));
  CHECK_THROWS_WITH(P2P_LAUNCH(write_index, dim3(1, 70000), 1, out.data()),
                    Contains("kernel write_index") && Contains("grid dimensions exceed"));
  CHECK_THROWS_WITH(P2P_LAUNCH(write_index, 0, 32, out.data()), Contains("a dimension is 0"));
  P2P_LAUNCH(write_index, 2, 32, out.data());  // within the limits: runs
  CHECK(out.to_vector()[33] == 1.0f);
}

TEST_CASE("emulation: a barrier some threads never reach is an error", "[emulation]") {
  CHECK_THROWS_WITH(P2P_LAUNCH(divergent_barrier, 1, 64, 5),
                    Contains("kernel divergent_barrier") && Contains("a barrier in divergent code"));
  P2P_LAUNCH(divergent_barrier, 1, 64, 0);  // every thread waits: fine
}

TEST_CASE("emulation: warp collectives whose lanes disagree or read outside the mask are errors", "[emulation]") {
  CHECK_THROWS_WITH(P2P_LAUNCH(disagreeing_lanes, 1, 32, 1), Contains("the lanes of a warp disagree"));
  CHECK_THROWS_WITH(P2P_LAUNCH(read_outside_mask, 1, 32, 8, 32),
                    Contains("lane 8 reads lane 16, which is not in the mask"));
  P2P_LAUNCH(read_outside_mask, 1, 32, 8, 16);  // within 16-lane segments: fine
}

TEST_CASE("emulation: a missing __syncthreads gives a schedule-dependent, wrong result", "[emulation]") {
  auto want = [](float base) {
    std::vector<float> v(64);
    for (int t = 0; t < 64; ++t) v[t] = base + float(63 - t);
    return v;
  };
  // With the barrier, every schedule gives the right answer.
  for (emu::Order o : {emu::Order::forward, emu::Order::reverse, emu::Order::random})
    CHECK(reversed(1.0f, true, o) == want(1.0f));
  // Without it, a thread reads a slot the previous launch left (another base): forward order gets the
  // first half wrong, reverse order the second half.
  const std::vector<float> fwd = reversed(100.0f, false, emu::Order::forward),
                           rev = reversed(200.0f, false, emu::Order::reverse);
  CHECK(fwd != want(100.0f));
  CHECK(rev != want(200.0f));
  const std::vector<float> right = want(100.0f);
  CHECK(std::equal(fwd.begin() + 32, fwd.end(), right.begin() + 32));  // the second half read written slots
}

TEST_CASE("emulation: P2P_EMU_SCHEDULE values", "[emulation]") {
  CHECK(emu::schedule_name(emu::parse_schedule("random:42")) == "random:42");
  CHECK(emu::parse_schedule("reverse").order == emu::Order::reverse);
  CHECK_THROWS_WITH(emu::parse_schedule("sideways"), Contains("expected forward, reverse, random or random:<seed>"));
  CHECK_THROWS_WITH(emu::parse_schedule("random:x"), Contains("'random:x'"));
}

TEST_CASE("emulation: a captured stream records its work, and the graph replays it in order", "[emulation]") {
  cudaStream_t s = cuda::stream();
  Tensor x = Tensor::from_vector({4}, {1, 2, 3, 4}, Device::CUDA), y({4}, Device::CUDA);
  const std::vector<float> host = {10, 20, 30, 40};
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(s, &status));
  CHECK(status == cudaStreamCaptureStatusActive);
  float add = 1.0f;
  P2P_LAUNCH(scale_add, 1, 4, x.data(), 2.0f, add);  // x = 2x + 1
  add = 1000.0f;                                     // the launch keeps its own copy of `add`
  CUDA_CHECK(cudaMemcpyAsync(y.data(), x.data(), 4 * sizeof(float), cudaMemcpyDeviceToDevice, s));   // y = x
  CUDA_CHECK(cudaMemsetAsync(x.data(), 0, 2 * sizeof(float), s));                                    // x[0:2] = 0
  CUDA_CHECK(cudaMemcpyAsync(x.data() + 3, host.data(), sizeof(float), cudaMemcpyHostToDevice, s));  // x[3] = 10
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  CUDA_CHECK(cudaStreamIsCapturing(s, &status));
  CHECK(status == cudaStreamCaptureStatusNone);
  CHECK(x.to_vector() == std::vector<float>{1, 2, 3, 4});  // recorded, not run
  cudaGraphExec_t exec = nullptr;
  CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_CHECK(cudaGraphDestroy(graph));  // the executable graph keeps its own copy
  CUDA_CHECK(cudaGraphLaunch(exec, s));
  CHECK(y.to_vector() == std::vector<float>{3, 5, 7, 9});
  CHECK(x.to_vector() == std::vector<float>{0, 0, 7, 10});
  CUDA_CHECK(cudaGraphLaunch(exec, s));  // again, on what the first replay left
  CHECK(y.to_vector() == std::vector<float>{1, 1, 15, 21});
  CHECK(x.to_vector() == std::vector<float>{0, 0, 15, 10});
  CUDA_CHECK(cudaGraphExecDestroy(exec));
}

TEST_CASE("emulation: the calls a GPU forbids during a capture fail there and invalidate it", "[emulation]") {
  cudaStream_t s = cuda::stream();
  Tensor x({4}, Device::CUDA);
  std::vector<float> host(4);
  void* block = nullptr;
  // Each call fails with the GPU's error; the launch after it is dropped and reports the capture's.
  auto check_forbidden = [&](const char* call, cudaError_t error, cudaError_t got) {
    INFO(call);
    CHECK(got == error);
    CHECK_THROWS_WITH(P2P_LAUNCH(scale_add, 1, 4, x.data(), 1.0f, 0.0f),
                      Contains("kernel scale_add") && Contains("cudaErrorStreamCaptureInvalidated"));
    cudaGraph_t graph = nullptr;
    CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
    CHECK(graph == nullptr);
    cudaGetLastError();
  };
  for (const char* call : {"cudaMalloc", "cudaFree", "cudaHostAlloc", "cudaMemcpy", "cudaMemset",
                           "cudaStreamSynchronize", "cudaDeviceSynchronize"}) {
    CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
    const std::string c = call;
    if (c == "cudaMalloc") check_forbidden(call, cudaErrorStreamCaptureUnsupported, cudaMalloc(&block, 64));
    if (c == "cudaFree") check_forbidden(call, cudaErrorStreamCaptureUnsupported, cudaFree(x.data()));
    if (c == "cudaHostAlloc")
      check_forbidden(call, cudaErrorStreamCaptureUnsupported, cudaHostAlloc(&block, 64, cudaHostAllocDefault));
    if (c == "cudaMemcpy")
      check_forbidden(call, cudaErrorStreamCaptureImplicit,
                      cudaMemcpy(host.data(), x.data(), 4 * sizeof(float), cudaMemcpyDeviceToHost));
    if (c == "cudaMemset") check_forbidden(call, cudaErrorStreamCaptureImplicit, cudaMemset(x.data(), 0, 4));
    if (c == "cudaStreamSynchronize")
      check_forbidden(call, cudaErrorStreamCaptureUnsupported, cudaStreamSynchronize(s));
    if (c == "cudaDeviceSynchronize") check_forbidden(call, cudaErrorStreamCaptureUnsupported, cudaDeviceSynchronize());
  }
  // The stream works as before; a second capture while one runs, or an end without a begin, is an error.
  P2P_LAUNCH(scale_add, 1, 4, x.data(), 0.0f, 5.0f);
  CHECK(x.to_vector() == std::vector<float>(4, 5.0f));
  cudaGraph_t graph = nullptr;
  CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorIllegalState);
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) == cudaErrorIllegalState);
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  CUDA_CHECK(cudaGraphDestroy(graph));
  // The relaxed mode allows cudaMalloc and cudaFree, as on a GPU.
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed));
  CUDA_CHECK(cudaMalloc(&block, 64));
  CUDA_CHECK(cudaFree(block));
  CUDA_CHECK(cudaStreamEndCapture(s, &graph));
  CUDA_CHECK(cudaGraphDestroy(graph));
  cudaGetLastError();
}

TEST_CASE("emulation: a global capture forbids other threads the unsafe calls, a thread-local one does not",
          "[emulation]") {
  cudaStream_t s = cuda::stream();
  // cudaHostAlloc from another thread (as the data loader's pinned batches), then freed there.
  auto host_alloc_elsewhere = [] {
    cudaError_t got = cudaSuccess;
    std::thread t([&] {
      void* p = nullptr;
      got = cudaHostAlloc(&p, 64, cudaHostAllocDefault);
      if (got == cudaSuccess) got = cudaFreeHost(p);
    });
    t.join();
    return got;
  };
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  CHECK(host_alloc_elsewhere() == cudaSuccess);
  void* p = nullptr;
  CHECK(cudaHostAlloc(&p, 64, cudaHostAllocDefault) == cudaErrorStreamCaptureUnsupported);  // this thread's
  CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
  CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  CHECK(host_alloc_elsewhere() == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamEndCapture(s, &graph) == cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
}
