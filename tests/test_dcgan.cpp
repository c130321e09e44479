// The DCGAN (models/dcgan.h) on the CPU: the parameter counts pytorch/examples prints, the layer
// sizes at 64 and 32, a short run at 32x32 (ngf = ndf = 16) whose losses stay finite and whose D
// probabilities stay strictly inside (0, 1), exact resume, sampling that leaves the model alone, and
// the errors for bad options and inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "models/dcgan.h"
#include "tests/data_fixtures.h"
#include "tests/noise_fixtures.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
DCGANOptions small_options() {
  DCGANOptions o;
  o.g.image_size = 32;
  o.g.ngf = 16;
  o.d.ndf = 16;
  o.g.nz = 32;
  o.seed = 7;
  return o;
}
std::vector<float> as_vector(const DCGANLosses& l) { return {l.loss_d, l.loss_g, l.d_x, l.d_g_z1, l.d_g_z2}; }
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

TEST_CASE("DCGAN parameter counts are pytorch/examples' (nz 100, ngf = ndf = 64, nc 3)", "[dcgan][model]") {
  ParamStore g, d;
  DCGANGenerator G(DCGANGeneratorOptions{}, g);
  DCGANDiscriminator D(DCGANDiscriminatorOptions{}, d);
  CHECK(g.num_params() == 3576704);  // the sums in models/dcgan_nets.h
  CHECK(d.num_params() == 2765568);
  CHECK(G.num_params() == g.num_params());
  CHECK(D.num_params() == d.num_params());
}

TEST_CASE("DCGAN layers: 64x64 has four up / down stages, 32x32 one fewer", "[dcgan][model]") {
  for (int size : {64, 32, 16}) {
    DCGANGeneratorOptions g;
    g.image_size = size;
    DCGANDiscriminatorOptions d;
    d.image_size = size;
    const std::vector<ConvLayer> gl = DCGANGenerator::layers(g), dl = DCGANDiscriminator::layers(d);
    INFO("image size " << size);
    CHECK(gl.size() == (size == 64 ? 5u : size == 32 ? 4u : 3u));
    CHECK(dl.size() == gl.size());
    CHECK(gl.front().cout == size / 8 * 64);
    CHECK((gl.back().out_h() == size && gl.back().cout == 3));
    CHECK(dl.back().cin == size / 8 * 64);
    CHECK((dl.back().out_h() == 1 && dl.back().out_w() == 1 && dl.back().cout == 1));
  }
}

TEST_CASE("DCGAN short run: finite losses, D's probabilities strictly inside (0, 1)", "[dcgan][model]") {
  DCGAN m(small_options(), Device::CPU);
  double d_x_last = 0, d_g_z_last = 0;
  const int steps = 30;
  for (int s = 0; s < steps; ++s) {
    const DCGANLosses l = m.train_step(synthetic_batch((s % 4) * 16, 16, 32));
    for (float v : as_vector(l)) REQUIRE(std::isfinite(v));
    for (float p : {l.d_x, l.d_g_z1, l.d_g_z2}) {
      INFO("step " << s << ": D(x) " << l.d_x << ", D(G(z)) " << l.d_g_z1 << " / " << l.d_g_z2);
      REQUIRE(p > 0.0f);
      REQUIRE(p < 1.0f);
    }
    if (s == steps - 1) d_x_last = l.d_x, d_g_z_last = l.d_g_z1;
  }
  WARN("after " << steps << " steps: D(x) " << d_x_last << ", D(G(z)) " << d_g_z_last);
  CHECK(m.step() == steps);
}

TEST_CASE("DCGAN save -> load -> continue is bit-identical", "[dcgan][model]") {
  TempDir dir("dcgan_resume");
  const std::string path = dir.file("dcgan.safetensors");
  DCGAN a(small_options(), Device::CPU);
  for (int s = 0; s < 2; ++s) a.train_step(synthetic_batch(8 * s, 8, 32));
  a.save(path, {{"note", "test"}});
  std::vector<std::vector<float>> want;
  for (int s = 2; s < 4; ++s) want.push_back(as_vector(a.train_step(synthetic_batch(8 * s, 8, 32))));

  DCGANOptions other = small_options();
  other.seed = 99;  // the checkpoint's seed wins
  DCGAN b(other, Device::CPU);
  const Metadata meta = b.load(path);
  CHECK(meta.at("note") == "test");
  CHECK(b.step() == 2);
  for (int s = 2; s < 4; ++s) CHECK(same_bits(as_vector(b.train_step(synthetic_batch(8 * s, 8, 32))), want[s - 2]));
  CHECK(same_bits(b.g_store().values().to_vector(), a.g_store().values().to_vector()));
  CHECK(same_bits(b.d_store().buffers().to_vector(), a.d_store().buffers().to_vector()));
}

TEST_CASE("DCGAN sample and interpolate: images in [-1, 1], the model untouched", "[dcgan][model]") {
  DCGAN a(small_options(), Device::CPU), b(small_options(), Device::CPU);
  a.train_step(synthetic_batch(0, 8, 32));
  b.train_step(synthetic_batch(0, 8, 32));
  const Tensor s = a.sample(64, 5);
  CHECK(s.shape() == Shape{64, 3, 32, 32});
  for (float v : s.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
  CHECK(same_bits(a.sample(64, 5).to_vector(), s.to_vector()));  // a function of the seed
  const Tensor path = a.interpolate(1, 2, 6);
  CHECK(path.shape() == Shape{6, 3, 32, 32});
  // The ends of the path are the two seeds' samples.
  const std::vector<float> p = path.to_vector(), first = a.sample(1, 1).to_vector(), last = a.sample(1, 2).to_vector();
  const size_t per = first.size();
  for (size_t i = 0; i < per; i += 97) {
    CHECK(std::abs(p[i] - first[i]) < 1e-5f);
    CHECK(std::abs(p[5 * per + i] - last[i]) < 1e-5f);
  }
  // Sampling used eval mode: the next step is the one the model that never sampled takes.
  CHECK(same_bits(as_vector(a.train_step(synthetic_batch(8, 8, 32))),
                  as_vector(b.train_step(synthetic_batch(8, 8, 32)))));
}

TEST_CASE("DCGAN bad options and inputs are clear errors", "[dcgan][model]") {
  DCGANOptions o = small_options();
  o.g.image_size = 48;
  CHECK_THROWS_WITH(DCGAN(o, Device::CPU), Catch::Contains("--image-size must be 16, 32 or 64"));
  DCGAN m(small_options(), Device::CPU);
  CHECK_THROWS_WITH(m.train_step(synthetic_batch(0, 4, 16)),
                    Catch::Contains("expected a batch of images [N, 3, 32, 32]"));
  // Not an error: a batch of one (every batch norm normalises over at least a 4x4 map).
  CHECK(std::isfinite(m.train_step(synthetic_batch(0, 1, 32)).loss_d));
  CHECK_THROWS_WITH(m.interpolate(1, 2, 1), Catch::Contains("at least 2 images"));
  TempDir dir("dcgan_bad");
  DCGANOptions wide = small_options();
  wide.g.ngf = 8;
  DCGAN w(wide, Device::CPU);
  w.save(dir.file("w.safetensors"), {});
  CHECK_THROWS_WITH(m.load(dir.file("w.safetensors")), Catch::Contains("--ngf 8, this model has --ngf 16"));
}
