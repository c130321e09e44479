// One CycleGAN step on CUDA (a GPU or the emulation) against the same step on the CPU: same seed, so
// the same initial parameters (drawn on the host) and pool draws; same inputs. Compared: the eight
// losses and both gradient buffers of the step (G's from the G step, D's from the D step), by the
// inf-norm relative error. Tolerance 1e-3: each kernel matches its reference to ~1e-6, and a step
// chains ~80 layers (eight generator forwards, six backwards, the discriminators) of float sums in
// another order; a rare ReLU input within rounding of 0 flips one mask element, which moves a
// gradient by far less than 1e-3 of the buffer's largest entry. A wiring mistake is O(1).
#include <catch2/catch.hpp>
#include <cmath>

#include "models/cycle_gan.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

TEST_CASE("one CycleGAN step on CUDA matches the CPU", "[gpu][cycle]") {
  constexpr double kTol = 1e-3;
  CycleGANOptions o;
  o.g.ngf = 4;
  o.d.ndf = 4;
  o.g.n_blocks = 1;
  o.pool_size = 2;
  o.seed = 3;
  CycleGAN cpu(o, Device::CPU), gpu(o, Device::CUDA);
  const Tensor A = tensor_of({1, 3, 32, 32}, random_values(3 * 32 * 32, 1), Device::CPU);
  const Tensor B = tensor_of({1, 3, 32, 32}, random_values(3 * 32 * 32, 2), Device::CPU);
  const CycleLosses lc = cpu.train_step(A, B), lg = gpu.train_step(A, B);
  const std::vector<double> want = {lc.D_A, lc.G_A, lc.cycle_A, lc.idt_A, lc.D_B, lc.G_B, lc.cycle_B, lc.idt_B};
  const std::vector<double> got = {lg.D_A, lg.G_A, lg.cycle_A, lg.idt_A, lg.D_B, lg.G_B, lg.cycle_B, lg.idt_B};
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("loss " << i << ": CPU " << want[i] << ", CUDA " << got[i]);
    CHECK(std::abs(got[i] - want[i]) <= kTol * std::abs(want[i]));
  }
  for (auto [c, g, what] : {std::tuple{&cpu.g_store(), &gpu.g_store(), "generator gradients"},
                            std::tuple{&cpu.d_store(), &gpu.d_store(), "discriminator gradients"}}) {
    const double err = rel_error(g->grads().to_vector(), to_double(c->grads().to_vector()));
    INFO(what << ": rel err " << err);
    CHECK(err < kTol);
  }
}
