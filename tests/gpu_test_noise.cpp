// One DCGAN step and one VAE step on CUDA (a GPU or the emulation) against the same step on the CPU:
// same seed, so the same initial parameters and noise (both drawn on the host); same inputs.
// Compared: the reported losses and every gradient buffer of the step (DCGAN: D's from its step, G's
// from its step; VAE: the one store), by the inf-norm relative error. Tolerance 1e-3, the CycleGAN
// step's: each kernel matches its reference to ~1e-6 and a step chains some 30 layers of float sums
// in another order; a LeakyReLU or ReLU input within rounding of 0 flips one slope, which moves a
// gradient by far less than 1e-3 of the buffer's largest entry. A wiring mistake is O(1).
#include <catch2/catch.hpp>
#include <cmath>

#include "models/dcgan.h"
#include "models/vae.h"
#include "tests/noise_fixtures.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
constexpr double kTol = 1e-3;

void check_close(const std::vector<float>& want, const std::vector<float>& got) {
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("value " << i << ": CPU " << want[i] << ", CUDA " << got[i]);
    CHECK(std::abs(got[i] - want[i]) <= kTol * std::abs(want[i]));
  }
}
void check_grads(ParamStore& cpu, ParamStore& gpu, const char* what) {
  const double err = rel_error(gpu.grads().to_vector(), to_double(cpu.grads().to_vector()));
  INFO(what << ": rel err " << err);
  CHECK(err < kTol);
}
}  // namespace

TEST_CASE("one DCGAN step on CUDA matches the CPU", "[gpu][noise]") {
  DCGANOptions o;
  o.g.image_size = 16;
  o.g.ngf = 4;
  o.d.ndf = 4;
  o.g.nz = 8;
  o.seed = 3;
  DCGAN cpu(o, Device::CPU), gpu(o, Device::CUDA);
  const Tensor x = synthetic_batch(0, 4, 16);
  const DCGANLosses lc = cpu.train_step(x), lg = gpu.train_step(x);
  check_close({lc.loss_d, lc.loss_g, lc.d_x, lc.d_g_z1, lc.d_g_z2},
              {lg.loss_d, lg.loss_g, lg.d_x, lg.d_g_z1, lg.d_g_z2});
  check_grads(cpu.g_store(), gpu.g_store(), "generator gradients");
  check_grads(cpu.d_store(), gpu.d_store(), "discriminator gradients");
}

TEST_CASE("one VAE step on CUDA matches the CPU", "[gpu][noise]") {
  for (const char* recon : {"mse", "bce"}) {
    VAEOptions o;
    o.dec.image_size = 16;
    o.dec.ngf = 4;
    o.enc.ndf = 4;
    o.latent = 6;
    o.recon = recon;
    o.seed = 4;
    VAE cpu(o, Device::CPU), gpu(o, Device::CUDA);
    const Tensor x = synthetic_batch(0, 4, 16);
    const VAELosses lc = cpu.train_step(x), lg = gpu.train_step(x);
    INFO("recon " << recon);
    check_close({lc.recon, lc.kl, lc.total}, {lg.recon, lg.kl, lg.total});
    check_grads(cpu.store(), gpu.store(), "VAE gradients");
    // And the eval-mode paths the trainer calls for its pictures.
    const double err = rel_error(gpu.sample(4, 1).to_vector(), to_double(cpu.sample(4, 1).to_vector()));
    INFO("samples: rel err " << err);
    CHECK(err < kTol);
  }
}
