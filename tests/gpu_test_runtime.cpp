// The runtime on a GPU: copies round-trip, fills reach every element, the caching allocator
// reuses freed blocks, pinned staging round-trips and is recycled; a step graph is captured after
// one ungraphed step and replayed, and a step that synchronises or allocates fails its capture.
#include <algorithm>
#include <catch2/catch.hpp>

#include "runtime/allocator.h"
#include "runtime/random.h"
#include "runtime/step_graph.h"
#include "runtime/tensor.h"

using namespace p2p;

TEST_CASE("host-device copies round-trip", "[gpu][runtime]") {
  std::vector<float> v(1001);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.5f - 3.0f;
  Tensor d = Tensor::from_vector({7, 11, 13}, v, Device::CUDA);
  CHECK(d.is_cuda());
  CHECK(d.to_vector() == v);
  Tensor d2 = d.clone();
  CHECK(d2.to_vector() == v);
  Tensor f = Tensor::full({1001}, 2.5f, Device::CUDA);
  CHECK(f.to_vector() == std::vector<float>(1001, 2.5f));
}

TEST_CASE("random fills agree between CPU and GPU", "[gpu][runtime][rng]") {
  Tensor c({3, 5, 7, 9}), g({3, 5, 7, 9}, Device::CUDA);
  fill_normal(c, 1.0f, 0.02f, 42, 9);
  fill_normal(g, 1.0f, 0.02f, 42, 9);
  CHECK(c.to_vector() == g.to_vector());
}

TEST_CASE("the caching allocator reuses freed blocks", "[gpu][runtime]") {
  { Tensor warm({1 << 20}, Device::CUDA); }
  size_t before = allocator_stats().cuda_mallocs;
  for (int i = 0; i < 10; ++i) {
    Tensor t({1 << 20}, Device::CUDA);
    Tensor u({1000}, Device::CUDA);
  }
  if (allocator_caches()) {
    // The 4 MiB block comes back from the cache every time; only the small one is new, once.
    CHECK(allocator_stats().cuda_mallocs - before <= 1);
  } else {
    // The sanitizer build: every tensor its own exact-size allocation, returned at once.
    CHECK(allocator_stats().cuda_mallocs - before == 20);
    CHECK(allocator_stats().bytes_cached == 0);
  }
}

TEST_CASE("pinned host memory: staged copies round-trip and the blocks are recycled", "[gpu][runtime][pinned]") {
  REQUIRE(pinning_available());
  std::vector<float> v(3 * 5 * 7);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.25f - 1.0f;
  { Tensor warm = Tensor::pinned({3, 5, 7}); }
  const AllocatorStats before = allocator_stats();
  for (int round = 0; round < 4; ++round) {
    Tensor h = Tensor::pinned({3, 5, 7});
    REQUIRE(h.is_pinned());
    CHECK_FALSE(h.is_cuda());
    std::copy(v.begin(), v.end(), h.data());
    Tensor d({3, 5, 7}, Device::CUDA);
    d.copy_from(h);  // asynchronous from pinned memory; h outlives it until its block is recycled
    CHECK(d.to_vector() == v);
  }
  // Every round's block came back from the pinned free list: one cudaHostAlloc in all (the warm-up's).
  CHECK(allocator_stats().host_allocs == before.host_allocs);
  CHECK(allocator_stats().pinned_hits - before.pinned_hits == 4);
  CHECK_FALSE(Tensor({2}).is_pinned());
}

TEST_CASE("step graph: ungraphed first, then captured, then replayed; a key change or a free starts over",
          "[gpu][runtime][graph]") {
  using Mode = StepGraph::Mode;
  Tensor x({1000}, Device::CUDA), y({1000}, Device::CUDA);
  float value = 0;
  const auto step = [&] {  // y = value, through x; the graph holds value as a kernel argument
    x.fill(value);
    y.copy_from(x);
  };
  StepGraph g;
  auto run = [&](bool graphed, const std::string& key, float v) {
    value = v;
    const Mode m = g.run(graphed, key, step, "the test step");
    CHECK(y.to_vector() == std::vector<float>(1000, m == Mode::replayed ? 2.0f : v));
    return m;
  };
  CHECK(run(true, "a", 1) == Mode::ungraphed);   // the first step of a key allocates what it needs
  CHECK(run(true, "a", 2) == Mode::captured);    // captured with value 2
  CHECK(run(true, "a", 3) == Mode::replayed);    // still 2: what changes must live in device memory
  CHECK(run(false, "a", 4) == Mode::ungraphed);  // a step the host watches: the graph stays
  CHECK(run(true, "a", 5) == Mode::replayed);
  CHECK(run(true, "b", 6) == Mode::ungraphed);  // another shape: a new warm-up and capture
  CHECK(run(true, "b", 2) == Mode::captured);
  { Tensor freed({10}, Device::CUDA); }  // a freed block may be one the graph holds: start over
  CHECK(run(true, "b", 7) == Mode::ungraphed);
  CHECK(run(true, "b", 2) == Mode::captured);
  g.reset();
  CHECK(run(true, "b", 8) == Mode::ungraphed);
}

TEST_CASE("step graph: a step that synchronises or allocates fails its capture, naming it", "[gpu][runtime][graph]") {
  Tensor x({1000}, Device::CUDA);
  auto fails_capture = [&](const std::function<void()>& step, const std::string& why) {
    StepGraph g;
    g.run(true, "k", step, "the test step");  // ungraphed: fine
    CHECK_THROWS_WITH(g.run(true, "k", step, "the test step"),
                      Catch::Contains("capturing the test step into a CUDA graph") && Catch::Contains(why));
    // The stream works again afterwards, and a capture-safe step is captured.
    StepGraph ok;
    for (int i = 0; i < 2; ++i)
      ok.run(
          true, "k", [&] { x.fill(3.0f); }, "the good step");
    CHECK(x.to_vector() == std::vector<float>(1000, 3.0f));
  };
  // Reading a result back mid-step waits for the stream: the capture's end (the emulation reports
  // what a GPU does).
  fails_capture(
      [&] {
        x.fill(1.0f);
        (void)x.to_vector();
      },
      "cudaErrorStreamCapture");
  // A temporary: from the allocator's cache it is a block the graph would share with whoever takes it
  // next; without the cache (sanitizer build) a cudaMalloc, which a capture forbids.
  fails_capture(
      [&] {
        Tensor t({1000}, Device::CUDA);
        t.fill(1.0f);
      },
      allocator_caches() ? "the step allocated (1) or freed (1) device memory" : "cudaMalloc");
}
