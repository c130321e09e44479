// The CUDA emulation's own checks (runtime/emu/cuda_runtime.h), each shown on a kernel written to
// trip it: launch limits, a barrier in divergent code, warp collectives whose lanes disagree or read
// outside their mask, and a missing __syncthreads that makes the result depend on the schedule.
// Built only in the emulation build.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

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
