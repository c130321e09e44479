// The CycleGAN model (models/cycle_gan.h) on the CPU, small (32x32, ngf / ndf 8, 2 residual blocks):
// the losses fall on synthetic unpaired data, save -> load -> continue gives the uninterrupted run's
// losses bit for bit (the pools included), and a pix2pix checkpoint is refused by name (and back).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "models/cycle_gan.h"
#include "models/pix2pix.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
CycleGANOptions small_options() {
  CycleGANOptions o;
  o.g.ngf = 8;
  o.d.ndf = 8;
  o.g.n_blocks = 2;
  o.pool_size = 3;  // fills within a few steps, so the runs below swap
  o.seed = 5;
  return o;
}

// Unpaired synthetic domains: A holds horizontal stripes, B vertical ones, at a phase and a
// contrast that vary with k; values in [-1, 1] as the data loader gives.
Tensor domain_batch(bool vertical, int k, int n = 2, int size = 32) {
  std::vector<float> v;
  for (int b = 0; b < n; ++b)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < size; ++i)
        for (int j = 0; j < size; ++j) {
          const int t = vertical ? j : i;
          const float phase = 0.7f * float(k * n + b) + 0.5f * float(c);
          v.push_back((0.6f + 0.3f * float((k + b) % 3) / 2.0f) * std::sin(0.8f * float(t) + phase));
        }
  return Tensor::from_vector({n, 3, size, size}, v);
}

std::vector<float> as_vector(const CycleLosses& l) {
  return {l.D_A, l.G_A, l.cycle_A, l.idt_A, l.D_B, l.G_B, l.cycle_B, l.idt_B};
}
}  // namespace

TEST_CASE("CycleGAN losses fall over a short run on unpaired data", "[cycle][model]") {
  CycleGAN m(small_options(), Device::CPU);
  const int steps = 40;
  double first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    const CycleLosses l = m.train_step(domain_batch(false, s), domain_batch(true, s + 1000));
    for (float x : as_vector(l)) REQUIRE(std::isfinite(x));
    // The reconstruction terms (cycle and identity) carry the signal a short run can show.
    const double rec = l.cycle_A + l.cycle_B + l.idt_A + l.idt_B;
    if (s < 5) first += rec / 5;
    if (s >= steps - 5) last += rec / 5;
  }
  INFO("cycle + identity losses, first 5 steps " << first << ", last 5 " << last);
  CHECK(last < 0.7 * first);
  CHECK(m.step() == steps);
}

TEST_CASE("CycleGAN save, load and continue gives the uninterrupted losses bit for bit", "[cycle][model][resume]") {
  const std::string path = "test_cycle_gan.safetensors";
  CycleGAN a(small_options(), Device::CPU);
  for (int s = 0; s < 3; ++s) a.train_step(domain_batch(false, s), domain_batch(true, s + 100));
  a.save(path, {{"epoch", "1"}});
  std::vector<std::vector<float>> want;
  for (int s = 3; s < 7; ++s)
    want.push_back(as_vector(a.train_step(domain_batch(false, s), domain_batch(true, s + 100))));

  CycleGANOptions other = small_options();
  other.seed = 99;  // the checkpoint's seed (its dropout streams and pools) wins
  CycleGAN b(other, Device::CPU);
  const Metadata meta = b.load(path);
  CHECK(meta.at("epoch") == "1");
  CHECK(b.step() == 3);
  for (int s = 3; s < 7; ++s) {
    const std::vector<float> got = as_vector(b.train_step(domain_batch(false, s), domain_batch(true, s + 100)));
    CHECK(std::memcmp(got.data(), want[s - 3].data(), got.size() * sizeof(float)) == 0);
  }
  CHECK(std::memcmp(a.g_store().values().to_vector().data(), b.g_store().values().to_vector().data(),
                    a.g_store().values().numel() * sizeof(float)) == 0);

  CycleGANOptions wider = small_options();
  wider.g.ngf = 4;
  CycleGAN c(wider, Device::CPU);
  CHECK_THROWS_WITH(c.load(path),
                    Catch::Contains("checkpoint " + path + " was trained with --ngf 8, this model has --ngf 4"));
  std::remove(path.c_str());
}

TEST_CASE("CycleGAN and pix2pix refuse each other's checkpoints by name", "[cycle][model][errors]") {
  const std::string cpath = "test_cycle_fmt.safetensors", ppath = "test_pix2pix_fmt.safetensors";
  CycleGANOptions co = small_options();
  co.g.n_blocks = 1;
  CycleGAN cg(co, Device::CPU);
  cg.save(cpath, {});
  Pix2PixOptions po;
  po.g.num_downs = 5;
  po.g.ngf = 2;
  po.d.ndf = 2;
  Pix2Pix p2p_model(po, Device::CPU);
  p2p_model.save(ppath, {});
  CHECK_THROWS_WITH(cg.load(ppath), Catch::Contains("checkpoint " + ppath +
                                                    ": format 'pix2pix-cpp-2', this program "
                                                    "reads 'cyclegan-cpp-1'"));
  CHECK_THROWS_WITH(p2p_model.load(cpath), Catch::Contains("checkpoint " + cpath +
                                                           ": format 'cyclegan-cpp-1', this "
                                                           "program reads 'pix2pix-cpp-2'"));
  std::remove(cpath.c_str());
  std::remove(ppath.c_str());
}

TEST_CASE("CycleGAN options are checked", "[cycle][model][errors]") {
  CycleGANOptions o = small_options();
  o.g.norm = NormKind::batch;
  CHECK_THROWS_WITH(CycleGAN(o, Device::CPU), Catch::Contains("--norm batch: this CycleGAN supports instance or none"));
  o = small_options();
  o.gan_mode = "wgan";
  CHECK_THROWS_WITH(CycleGAN(o, Device::CPU), Catch::Contains("--gan-mode: unknown value 'wgan'"));
}
