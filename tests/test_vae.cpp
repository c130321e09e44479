// The convolutional VAE (models/vae.h) on the CPU, small (32x32, ngf = ndf = 16, latent 16): the
// held-out reconstruction error falls below the untrained model's, the KL stays positive and
// finite, both reconstruction losses train, exact resume, sampling, and the errors for bad options.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "models/dcgan.h"
#include "models/vae.h"
#include "tests/data_fixtures.h"
#include "tests/noise_fixtures.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
VAEOptions small_options(const std::string& recon = "mse") {
  VAEOptions o;
  o.dec.image_size = 32;
  o.dec.ngf = 16;
  o.enc.ndf = 16;
  o.latent = 16;
  o.recon = recon;
  o.seed = 3;
  return o;
}
std::vector<float> as_vector(const VAELosses& l) { return {l.recon, l.kl, l.total}; }
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}
}  // namespace

// The floor of the bce reconstruction term on images y: each pixel's BCE is at least the entropy of
// its probability t = (y + 1) / 2, reached at the logit log(t / (1 - t)).
double bce_floor(const Tensor& y) {
  double h = 0;
  for (float v : y.to_vector()) {
    const double t = (v + 1.0) / 2.0;
    if (t > 0 && t < 1) h -= t * std::log(t) + (1 - t) * std::log(1 - t);
  }
  return h / y.n();
}

// Measured (60 steps over 64 training images, 16 held out): mse 876 -> 736 (ratio 0.84); bce's excess
// over its floor 1630: 500 -> 428 (ratio 0.86). Bit-reproducible on one build, so the margin to 0.9
// is not there for noise but for other compilers' float contractions. The synthetic images (random colours, shapes and
// stripes) leave most of the held-out error to detail that 64 training images cannot teach; what a
// short run learns is the colours and the layout, which is what these thresholds hold it to.
TEST_CASE("VAE: the held-out reconstruction error falls below the untrained model's", "[vae][model]") {
  for (const char* recon : {"mse", "bce"}) {
    VAE m(small_options(recon), Device::CPU);
    const Tensor held_out = synthetic_batch(1000, 16, 32);  // never trained on
    const double floor = std::string(recon) == "bce" ? bce_floor(held_out) : 0.0;
    const double before = m.reconstruction_error(held_out) - floor;
    const int steps = 60;
    for (int s = 0; s < steps; ++s) {
      const VAELosses l = m.train_step(synthetic_batch((s % 4) * 16, 16, 32));
      for (float v : as_vector(l)) REQUIRE(std::isfinite(v));
      INFO(recon << " step " << s << ": KL " << l.kl);
      REQUIRE(l.kl > 0.0f);
    }
    const double after = m.reconstruction_error(held_out) - floor;
    WARN(recon << ": held-out reconstruction error (over the floor " << floor << ") " << before << " untrained, "
               << after << " after " << steps << " steps: ratio " << after / before);
    CHECK(after < 0.9 * before);
  }
}

TEST_CASE("VAE save -> load -> continue is bit-identical", "[vae][model]") {
  TempDir dir("vae_resume");
  const std::string path = dir.file("vae.safetensors");
  VAE a(small_options(), Device::CPU);
  for (int s = 0; s < 2; ++s) a.train_step(synthetic_batch(8 * s, 8, 32));
  a.save(path, {});
  std::vector<std::vector<float>> want;
  for (int s = 2; s < 4; ++s) want.push_back(as_vector(a.train_step(synthetic_batch(8 * s, 8, 32))));
  VAEOptions other = small_options();
  other.seed = 42;
  VAE b(other, Device::CPU);
  b.load(path);
  CHECK(b.step() == 2);
  for (int s = 2; s < 4; ++s) CHECK(same_bits(as_vector(b.train_step(synthetic_batch(8 * s, 8, 32))), want[s - 2]));
  CHECK(same_bits(b.store().values().to_vector(), a.store().values().to_vector()));
}

TEST_CASE("VAE sample, reconstruct and interpolate give images in [-1, 1]", "[vae][model]") {
  for (const char* recon : {"mse", "bce"}) {
    VAE m(small_options(recon), Device::CPU);
    m.train_step(synthetic_batch(0, 8, 32));
    const Tensor s = m.sample(64, 9), r = m.reconstruct(synthetic_batch(0, 4, 32)), i = m.interpolate(1, 2, 5);
    const Tensor j = m.interpolate_images(synthetic_batch(0, 1, 32), synthetic_batch(1, 1, 32), 3);
    CHECK(s.shape() == Shape{64, 3, 32, 32});
    CHECK(r.shape() == Shape{4, 3, 32, 32});
    CHECK(i.shape() == Shape{5, 3, 32, 32});
    CHECK(j.shape() == Shape{3, 3, 32, 32});
    for (const Tensor* t : {&s, &r, &i, &j})
      for (float v : t->to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
    // The ends of an image interpolation are the images' reconstructions.
    const std::vector<float> jv = j.to_vector(), r0 = m.reconstruct(synthetic_batch(0, 1, 32)).to_vector();
    for (size_t k = 0; k < r0.size(); k += 101) CHECK(std::abs(jv[k] - r0[k]) < 1e-5f);
  }
}

TEST_CASE("VAE bad options and inputs are clear errors", "[vae][model]") {
  VAEOptions o = small_options();
  o.latent = 0;
  CHECK_THROWS_WITH(VAE(o, Device::CPU), Catch::Contains("--latent 0: expected at least 1"));
  o = small_options("l2");
  CHECK_THROWS_WITH(VAE(o, Device::CPU), Catch::Contains("--recon: unknown value 'l2'"));
  o = small_options();
  o.dec.image_size = 24;
  CHECK_THROWS_WITH(VAE(o, Device::CPU), Catch::Contains("--image-size"));
  VAE m(small_options(), Device::CPU);
  CHECK_THROWS_WITH(m.train_step(synthetic_batch(0, 2, 16)), Catch::Contains("expected images [N, 3, 32, 32]"));
  CHECK(std::isfinite(m.train_step(synthetic_batch(0, 1, 32)).total));  // a batch of one is fine
  TempDir dir("vae_bad");
  VAE bce(small_options("bce"), Device::CPU);
  bce.save(dir.file("bce.safetensors"), {});
  CHECK_THROWS_WITH(m.load(dir.file("bce.safetensors")), Catch::Contains("--recon bce, this model has --recon mse"));
  DCGANOptions d;
  d.g.image_size = 16;
  d.g.ngf = d.d.ndf = 4;
  DCGAN(d, Device::CPU).save(dir.file("dcgan.safetensors"), {});
  CHECK_THROWS_WITH(m.load(dir.file("dcgan.safetensors")),
                    Catch::Contains("format 'dcgan-cpp-1', this model reads 'vae-cpp-1'"));
}
