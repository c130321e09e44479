// The CUDA emulation's own checks (runtime/emu/cuda_runtime.h), each shown on a kernel written to
// trip it: launch limits, a barrier in divergent code, warp collectives whose lanes disagree or read
// outside their mask, and a missing __syncthreads that makes the result depend on the schedule. Then
// the emulated WMMA (runtime/emu/mma.h): its documented fragment layout, its arithmetic against a
// plain loop, TF32 rounding, and the misuses it reports; then stream capture and graph replay, and
// the calls a capture forbids. Built only in the emulation build.
#include <mma.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <thread>
#include <vector>

#include "runtime/cuda_util.h"
#include "runtime/emu/emu.h"
#include "runtime/launch.h"
#include "runtime/tensor.h"

using namespace p2p;
using Catch::Contains;
namespace wmma = nvcuda::wmma;

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

// ---- WMMA ----

using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major>;
using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major>;
using FragC = wmma::fragment<wmma::accumulator, 16, 16, 8, float>;

// Each lane's fragment elements as loaded, in order: out[lane * num_elements + i] = x[i]. a (16 x 8
// row-major), b (8 x 16 row-major), c (16 x 16 row-major).
__global__ void fragment_elements(const float* a, const float* b, const float* c, float* out_a, float* out_b,
                                  float* out_c) {
  FragA fa;
  FragB fb;
  FragC fc;
  wmma::load_matrix_sync(fa, a, 8);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::load_matrix_sync(fc, c, 16, wmma::mem_row_major);
  const int lane = threadIdx.x;
  for (int i = 0; i < fa.num_elements; ++i) out_a[lane * fa.num_elements + i] = fa.x[i];
  for (int i = 0; i < fb.num_elements; ++i) out_b[lane * fb.num_elements + i] = fb.x[i];
  for (int i = 0; i < fc.num_elements; ++i) out_c[lane * fc.num_elements + i] = fc.x[i];
}

// c (16 x 16 in memory of leading dimension ldm, row- or column-major) loaded and stored back to d.
__global__ void accumulator_round_trip(const float* c, float* d, unsigned ldm, bool row_major) {
  FragC f;
  const wmma::layout_t l = row_major ? wmma::mem_row_major : wmma::mem_col_major;
  wmma::load_matrix_sync(f, c, ldm, l);
  wmma::store_matrix_sync(d, f, ldm, l);
}

// d = a b + c for a 16 x 8 a (column-major, ldm 16), an 8 x 16 b (row-major) and 16 x 16 c, d.
__global__ void mma_16x16x8(const float* a, const float* b, const float* c, float* d) {
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> fa;
  FragB fb;
  FragC fc;
  wmma::load_matrix_sync(fa, a, 16);
  wmma::load_matrix_sync(fb, b, 16);
  wmma::load_matrix_sync(fc, c, 16, wmma::mem_row_major);
  wmma::mma_sync(fc, fa, fb, fc);
  wmma::store_matrix_sync(d, fc, 16, wmma::mem_row_major);
}

__global__ void to_tf32(const float* in, float* out, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = wmma::__float_to_tf32(in[i]);
}

// Misuses: lane `skip` leaves before the mma; or lane `skip` passes a pointer one row further; or
// every lane an address `offset` floats past an aligned one.
__global__ void wmma_misuse(const float* m, int skip, int shifted, int offset) {
  FragB fb;
  const int lane = threadIdx.x;
  wmma::load_matrix_sync(fb, m + offset + (lane == shifted ? 16 : 0), 16);
  if (lane == skip) return;
  FragA fa;
  FragC fc;
  wmma::fill_fragment(fa, 1.0f);
  wmma::fill_fragment(fc, 0.0f);
  wmma::mma_sync(fc, fa, fb, fc);
}

std::vector<float> iota_floats(int n, float base) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[size_t(i)] = base + float(i);
  return v;
}

Tensor device_of(const std::vector<float>& v) { return Tensor::from_vector({int64_t(v.size())}, v, Device::CUDA); }

float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
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

TEST_CASE("emulation: WMMA fragments hold the documented elements", "[emulation][wmma]") {
  // Element (r, c) of each matrix holds its own index, so each fragment element names its position.
  const Tensor a = device_of(iota_floats(16 * 8, 0)), b = device_of(iota_floats(8 * 16, 0)),
               c = device_of(iota_floats(16 * 16, 0));
  Tensor oa({32 * 4}, Device::CUDA), ob({32 * 4}, Device::CUDA), oc({32 * 8}, Device::CUDA);
  const emu::Schedule saved = emu::schedule();
  const emu::Order order = GENERATE(emu::Order::forward, emu::Order::reverse);
  emu::set_schedule({order, 1});
  P2P_LAUNCH(fragment_elements, 1, 32, a.data(), b.data(), c.data(), oa.data(), ob.data(), oc.data());
  emu::set_schedule(saved);
  const std::vector<float> va = oa.to_vector(), vb = ob.to_vector(), vc = oc.to_vector();
  // The table of runtime/emu/mma.h, written out again: g = lane / 4, t = lane % 4; under the reverse
  // schedule each lane's elements in reverse order.
  const bool rev = order == emu::Order::reverse;
  auto at = [rev](int i, int count) { return rev ? count - 1 - i : i; };
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane / 4, t = lane % 4;
    const int want_a[4] = {g * 8 + t, (g + 8) * 8 + t, g * 8 + t + 4, (g + 8) * 8 + t + 4};
    const int want_b[4] = {t * 16 + g, (t + 4) * 16 + g, t * 16 + g + 8, (t + 4) * 16 + g + 8};
    const int want_c[8] = {g * 16 + 2 * t,     g * 16 + 2 * t + 1, (g + 8) * 16 + 2 * t,     (g + 8) * 16 + 2 * t + 1,
                           g * 16 + 2 * t + 8, g * 16 + 2 * t + 9, (g + 8) * 16 + 2 * t + 8, (g + 8) * 16 + 2 * t + 9};
    for (int i = 0; i < 4; ++i) CHECK(va[size_t(lane * 4 + i)] == float(want_a[at(i, 4)]));
    for (int i = 0; i < 4; ++i) CHECK(vb[size_t(lane * 4 + i)] == float(want_b[at(i, 4)]));
    for (int i = 0; i < 8; ++i) CHECK(vc[size_t(lane * 8 + i)] == float(want_c[at(i, 8)]));
  }
}

TEST_CASE("emulation: a WMMA accumulator load and store round-trip in both layouts", "[emulation][wmma]") {
  constexpr unsigned kLdm = 20;  // padded rows: the elements between them stay as they were
  const std::vector<float> c = iota_floats(16 * kLdm, 1);
  for (bool row_major : {true, false}) {
    const Tensor src = device_of(c);
    Tensor dst = device_of(std::vector<float>(c.size(), -1.0f));
    P2P_LAUNCH(accumulator_round_trip, 1, 32, src.data(), dst.data(), kLdm, row_major);
    const std::vector<float> d = dst.to_vector();
    for (unsigned i = 0; i < 16; ++i)
      for (unsigned j = 0; j < kLdm; ++j) CHECK(d[i * kLdm + j] == (j < 16 ? c[i * kLdm + j] : -1.0f));
  }
}

TEST_CASE("emulation: WMMA mma_sync is TF32 products summed in float, in order", "[emulation][wmma]") {
  // Operands with more than 10 mantissa bits: the mma reads their TF32 bits only (truncation).
  std::vector<float> a(16 * 8), b(8 * 16), c(16 * 16);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(float(i) + 0.5f) * 3.0f;
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(float(i) * 1.7f) + 0.25f;
  for (size_t i = 0; i < c.size(); ++i) c[i] = float(i) / 7.0f - 10.0f;
  const Tensor ta = device_of(a), tb = device_of(b), tc = device_of(c);
  Tensor td({16 * 16}, Device::CUDA);
  const emu::Schedule saved = emu::schedule();
  emu::set_schedule({GENERATE(emu::Order::forward, emu::Order::random), 3});  // either element order
  P2P_LAUNCH(mma_16x16x8, 1, 32, ta.data(), tb.data(), tc.data(), td.data());
  emu::set_schedule(saved);
  const std::vector<float> d = td.to_vector();
  auto truncated = [](float x) {
    uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return bits_to_float(u & 0xffffe000u);
  };
  int rounded_differs = 0;
  for (int r = 0; r < 16; ++r)
    for (int col = 0; col < 16; ++col) {
      float want = c[size_t(r * 16 + col)], with_rounding = want;
      for (int k = 0; k < 8; ++k) {
        const float x = a[size_t(k * 16 + r)], y = b[size_t(k * 16 + col)];  // a is column-major
        want += truncated(x) * truncated(y);
        with_rounding += tf32_round(x) * tf32_round(y);
      }
      CHECK(d[size_t(r * 16 + col)] == want);
      rounded_differs += d[size_t(r * 16 + col)] != with_rounding;
    }
  CHECK(rounded_differs > 128);  // so a kernel that forgets __float_to_tf32 is seen
}

TEST_CASE("emulation: __float_to_tf32 rounds to nearest, ties away from zero", "[emulation][wmma]") {
  const float ulp = std::ldexp(1.0f, -10);                              // of TF32 at 1
  const std::vector<float> in = {1.0f + ulp / 2,                        // a tie: away from zero (to even would give 1)
                                 -(1.0f + ulp / 2),                     // the same, negative
                                 1.0f + ulp + ulp / 2,                  // a tie above an odd last bit: up as well
                                 std::nextafter(1.0f + ulp / 2, 0.0f),  // just below a tie: down
                                 1.0f + ulp / 2 + std::ldexp(1.0f, -23),  // just above: up
                                 FLT_MAX,                                 // rounds up past the largest TF32: infinity
                                 INFINITY,
                                 bits_to_float(0x7fc00001u),  // a NaN stays a NaN
                                 std::ldexp(1.5f, -130)};     // subnormal, already TF32 (its low 13 bits 0)
  const std::vector<float> want = {1.0f + ulp, -(1.0f + ulp), 1.0f + 2 * ulp,        1.0f, 1.0f + ulp, INFINITY,
                                   INFINITY,   NAN,           std::ldexp(1.5f, -130)};
  const Tensor t = device_of(in);
  Tensor out({int64_t(in.size())}, Device::CUDA);
  P2P_LAUNCH(to_tf32, 1, 32, t.data(), out.data(), int(in.size()));
  const std::vector<float> got = out.to_vector();
  for (size_t i = 0; i < in.size(); ++i) {
    INFO("input " << i);
    if (std::isnan(want[i]))
      CHECK(std::isnan(got[i]));
    else
      CHECK(got[i] == want[i]);
    CHECK((std::isnan(got[i]) || got[i] == tf32_round(in[i])));  // the host's rounding is the same function
  }
}

TEST_CASE("emulation: WMMA calls that not all lanes make alike are errors", "[emulation][wmma]") {
  const Tensor m = device_of(iota_floats(16 * 16 + 64, 0));
  CHECK_THROWS_WITH(P2P_LAUNCH(wmma_misuse, 1, 32, m.data(), 5, -1, 0),
                    Contains("kernel wmma_misuse") && Contains("wmma::mma_sync") && Contains("have exited"));
  CHECK_THROWS_WITH(P2P_LAUNCH(wmma_misuse, 1, 32, m.data(), -1, 3, 0),
                    Contains("wmma::load_matrix_sync(matrix_b)") && Contains("different pointers"));
  CHECK_THROWS_WITH(P2P_LAUNCH(wmma_misuse, 1, 32, m.data(), -1, -1, 4), Contains("not 32-byte aligned"));
  P2P_LAUNCH(wmma_misuse, 1, 32, m.data(), -1, -1, 8);  // every lane alike, 32-byte aligned: runs
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
