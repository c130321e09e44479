// The Pix2Pix step on the GPU against the same step on the CPU reference, its determinism, and the
// caching allocator staying still once training has started.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "models/pix2pix.h"
#include "runtime/allocator.h"
#include "tests/testing.h"
#include "tests/trainer_fixtures.h"

using namespace p2p;

namespace {

// The model seed of these tests, and batches of two pairs of the synthetic set with data seed 2.
Pix2PixOptions tiny_options() { return testing::tiny_options(/*seed=*/11); }
testing::Pair batch(uint64_t first) { return testing::synthetic_batch(first, 2, /*data_seed=*/2); }

double rel(float got, float want) { return std::fabs(got - want) / std::max(std::fabs(want), 1e-6f); }

}  // namespace

TEST_CASE("pix2pix step: CUDA matches the CPU reference", "[trainer][gpu]") {
  const testing::Pair p = batch(0);
  // Same seed: the initial weights are drawn on the host (identical), the dropout masks come from
  // the same Philox streams on both backends.
  Pix2Pix cpu(tiny_options(), Device::CPU), gpu(tiny_options(), Device::CUDA);
  REQUIRE(cpu.g_store().values().to_vector() == gpu.g_store().values().to_vector());
  StepLosses lc = cpu.train_step(p.A, p.B), lg = gpu.train_step(p.A, p.B);
  // 1e-4: the kernels sum in another order than the reference (convolutions, norm statistics, loss
  // means), ~1e-7 relative per reduction, compounded over ~20 layers forward and backward and three
  // D passes; a real bug (a wrong index, a missed term) shows up at 1e-2 or more.
  CHECK(rel(lg.g_gan, lc.g_gan) < 1e-4);
  CHECK(rel(lg.g_l1, lc.g_l1) < 1e-4);
  CHECK(rel(lg.d_real, lc.d_real) < 1e-4);
  CHECK(rel(lg.d_fake, lc.d_fake) < 1e-4);

  // The gradients the step used (left in the stores after it): 1e-4 relative to the largest, as above.
  for (auto [c, g] :
       {std::pair<ParamStore*, ParamStore*>{&cpu.g_store(), &gpu.g_store()}, {&cpu.d_store(), &gpu.d_store()}}) {
    double e = testing::rel_error(g->grads().to_vector(), testing::to_double(c->grads().to_vector()));
    INFO("gradient rel error " << e);
    CHECK(e < 1e-4);
  }

  // The generator's weights after the Adam step: rel error 1e-4 relative to the largest weight.
  // Adam's first step moves each weight by lr * g / (|g| + eps), about +-lr: where a gradient element
  // is at rounding-noise level the two backends may move it in opposite directions, so in addition
  // each element's difference is bounded by 2 lr (and that holds always).
  std::vector<float> wc = cpu.g_store().values().to_vector(), wg = gpu.g_store().values().to_vector();
  double max_diff = 0;
  for (size_t i = 0; i < wc.size(); ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(wc[i] - wg[i])));
  CHECK(max_diff <= 2 * tiny_options().lr * (1 + 1e-3));
  CHECK(testing::rel_error(wg, testing::to_double(wc)) < 1e-4);
  // Running statistics (three D passes and one G pass updated them).
  CHECK(testing::rel_error(gpu.g_store().buffers().to_vector(),
                           testing::to_double(cpu.g_store().buffers().to_vector())) < 1e-4);
}

TEST_CASE("pix2pix step on CUDA: deterministic, and no cudaMalloc after the first step", "[trainer][gpu]") {
  std::vector<testing::Pair> data;
  for (int i = 0; i < 5; ++i) data.push_back(batch(2 * i));
  // Inputs already on the GPU, as the trainer could hand them over, and on the host: both paths.
  Pix2Pix a(tiny_options(), Device::CUDA), b(tiny_options(), Device::CUDA);
  std::vector<float> la, lb;
  size_t mallocs_after_first = 0;
  for (int i = 0; i < 5; ++i) {
    StepLosses x = a.train_step(data[i].A, data[i].B);
    if (i == 0) mallocs_after_first = allocator_stats().cuda_mallocs;
    la.insert(la.end(), {x.g_gan, x.g_l1, x.d_real, x.d_fake});
  }
  // Steps 2..5 reuse every buffer (layer outputs, gradients, the loss slots): no new device memory.
  CHECK(allocator_stats().cuda_mallocs == mallocs_after_first);
  for (int i = 0; i < 5; ++i) {
    StepLosses x = b.train_step(data[i].A.to(Device::CUDA), data[i].B.to(Device::CUDA));
    lb.insert(lb.end(), {x.g_gan, x.g_l1, x.d_real, x.d_fake});
  }
  CHECK(la == lb);  // bit for bit: fixed reduction orders, no atomics
  CHECK(a.g_store().values().to_vector() == b.g_store().values().to_vector());
}
