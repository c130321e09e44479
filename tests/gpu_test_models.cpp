// The tiny U-Net and PatchGANs on the GPU against the same models on the CPU reference: same seed
// (so the same initial values, drawn on the host), same inputs, same dropout streams. Compared per
// named tensor with the inf-norm relative error, tolerance 1e-4: each CUDA kernel matches its
// reference to ~1e-6, and a dozen layers of float arithmetic in another summation order (batch-norm
// statistics, split-K weight gradients) compound that, still far below any wiring mistake (O(1)).
// The inputs are chosen so that no ReLU or LeakyReLU input lies on different sides of 0 on the two
// backends (testing::sign_straddles): the comparison then holds by construction, not by a wide tolerance.
#include <catch2/catch.hpp>
#include <cstring>

#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "models/unet.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
constexpr double kTol = 1e-4;

Tensor random_tensor(const Shape& s, uint64_t seed, Device dev) {
  return tensor_of(s, random_values(shape_numel(s), seed), dev);
}

double rel(const Tensor& got, const Tensor& want) { return rel_error(got.to_vector(), to_double(want.to_vector())); }

// Every parameter gradient and every buffer (running statistics), entry by entry.
void compare_stores(ParamStore& gpu, ParamStore& cpu) {
  for (size_t k = 0; k < cpu.params().size(); ++k) {
    INFO(cpu.params()[k].name << " gradient");
    CHECK(rel(gpu.grad(int(k)), cpu.grad(int(k))) < kTol);
  }
  for (size_t k = 0; k < cpu.buffer_entries().size(); ++k) {
    INFO(cpu.buffer_entries()[k].name);
    CHECK(rel(gpu.buffer(int(k)), cpu.buffer(int(k))) < kTol);
  }
}

bool same_bits(const Tensor& a, const Tensor& b) {
  std::vector<float> x = a.to_vector(), y = b.to_vector();
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}
}  // namespace

TEST_CASE("tiny U-Net on CUDA matches the CPU", "[gpu][models][unet]") {
  UNetOptions o;
  o.num_downs = 6;  // has a dropout level (5)
  o.ngf = 2;
  o.norm = NormKind::batch;
  o.dropout = true;
  ParamStore cs, gs;
  UNet cg(o, cs), gg(o, gs);
  cs.finalize(Device::CPU, 3);
  gs.finalize(Device::CUDA, 3);
  REQUIRE(same_bits(gs.values(), cs.values()));  // initialisation drawn on the host

  Tensor xc, xg;
  RandomStreams rc(42, 100), rg(42, 100);
  for (uint64_t seed = 4;; seed += 10) {  // inputs with no ReLU input straddling 0 (almost always the first)
    xc = random_tensor({2, 3, 64, 64}, seed, Device::CPU);
    xg = xc.to(Device::CUDA);
    rc = RandomStreams(42, 100);
    rg = RandomStreams(42, 100);
    cg.forward(xc, true, rc);
    gg.forward(xg, true, rg);
    if (sign_straddles(gg.kink_inputs(), cg.kink_inputs()) == 0) break;
    REQUIRE(seed < 100);
  }
  Tensor uc = random_tensor({2, 3, 64, 64}, 5, Device::CPU), ug = uc.to(Device::CUDA);
  rc = RandomStreams(42, 100);
  rg = RandomStreams(42, 100);
  const Tensor& yc = cg.forward(xc, true, rc);
  const Tensor& yg = gg.forward(xg, true, rg);
  CHECK(rel(yg, yc) < kTol);
  CHECK(rg.offset() == rc.offset());

  cs.zero_grad();
  gs.zero_grad();
  Tensor dxc, dxg;
  cg.backward(uc, &dxc);
  gg.backward(ug, &dxg);
  CHECK(dxg.is_cuda());
  CHECK(rel(dxg, dxc) < kTol);
  compare_stores(gs, cs);

  // Determinism: the same step again gives the same gradients bit for bit. The CPU model makes the
  // same second forward, so that both have updated their running statistics twice for the eval check.
  const std::vector<float> first = gs.grads().to_vector();
  RandomStreams rg2(42, 100), rc2(42, 100);
  gg.forward(xg, true, rg2);
  cg.forward(xc, true, rc2);
  gs.zero_grad();
  gg.backward(ug, &dxg);
  CHECK(std::memcmp(first.data(), gs.grads().to_vector().data(), first.size() * sizeof(float)) == 0);

  // Eval mode (running statistics, no dropout).
  CHECK(rel(gg.forward(xg, false, rg), cg.forward(xc, false, rc)) < kTol);
}

TEST_CASE("tiny PatchGAN and PixelGAN on CUDA match the CPU", "[gpu][models][patchgan]") {
  for (int n_layers : {1, 0, 3}) {
    INFO("n_layers " << n_layers);
    PatchGANOptions o;
    o.ndf = 2;
    o.n_layers = n_layers;
    ParamStore cs, gs;
    PatchGAN cd(o, cs), gd(o, gs);
    cs.finalize(Device::CPU, 6);
    gs.finalize(Device::CUDA, 6);
    const int size = n_layers == 3 ? 64 : 16;
    Tensor xc, xg;
    for (uint64_t seed = 7;; seed += 10) {  // inputs with no LeakyReLU input straddling 0
      xc = random_tensor({2, 6, size, size}, seed, Device::CPU);
      xg = xc.to(Device::CUDA);
      cd.forward(xc, true);
      gd.forward(xg, true);
      if (sign_straddles(gd.kink_inputs(), cd.kink_inputs()) == 0) break;
      REQUIRE(seed < 100);
    }
    const Tensor& yc = cd.forward(xc, true);
    const Tensor& yg = gd.forward(xg, true);
    CHECK(rel(yg, yc) < kTol);
    Tensor uc = random_tensor(yc.shape(), 8, Device::CPU), ug = uc.to(Device::CUDA);
    cs.zero_grad();
    gs.zero_grad();
    Tensor dxc, dxg;
    cd.backward(uc, &dxc, true);
    gd.backward(ug, &dxg, true);
    CHECK(rel(dxg, dxc) < kTol);
    compare_stores(gs, cs);

    // param_grads = false: the same dx, the gradients untouched.
    const std::vector<float> grads = gs.grads().to_vector();
    Tensor dx_only;
    gd.backward(ug, &dx_only, false);
    CHECK(std::memcmp(grads.data(), gs.grads().to_vector().data(), grads.size() * sizeof(float)) == 0);
    CHECK(same_bits(dx_only, dxg));
  }
}

TEST_CASE("tiny ResNet generator on CUDA matches the CPU", "[gpu][models][resnet]") {
  ResnetOptions o;
  o.ngf = 2;
  o.n_blocks = 2;
  ParamStore cs, gs;
  ResnetGenerator cg(o, cs), gg(o, gs);
  cs.finalize(Device::CPU, 3);
  gs.finalize(Device::CUDA, 3);
  Tensor xc, xg;
  for (uint64_t seed = 4;; seed += 10) {  // inputs with no ReLU input straddling 0
    xc = random_tensor({2, 3, 16, 20}, seed, Device::CPU);
    xg = xc.to(Device::CUDA);
    RandomStreams rc(1), rg(1);
    cg.forward(xc, true, rc);
    gg.forward(xg, true, rg);
    if (sign_straddles(gg.kink_inputs(), cg.kink_inputs()) == 0) break;
    REQUIRE(seed < 100);
  }
  RandomStreams rc(1), rg(1);
  const Tensor& yc = cg.forward(xc, true, rc);
  const Tensor& yg = gg.forward(xg, true, rg);
  CHECK(rel(yg, yc) < kTol);
  Tensor uc = random_tensor(yc.shape(), 5, Device::CPU), ug = uc.to(Device::CUDA);
  cs.zero_grad();
  gs.zero_grad();
  Tensor dxc, dxg;
  cg.backward(uc, &dxc);
  gg.backward(ug, &dxg);
  CHECK(rel(dxg, dxc) < kTol);
  // Per tensor for the weights; the biases against the whole buffer's scale: a conv bias in front of
  // an instance norm has true gradient 0 (the norm removes any per-channel shift), so on its own
  // only the two backends' rounding noise would be compared.
  for (size_t k = 0; k < cs.params().size(); ++k) {
    if (cs.params()[k].shape.size() != 4) continue;
    INFO(cs.params()[k].name << " gradient");
    CHECK(rel(gs.grad(int(k)), cs.grad(int(k))) < kTol);
  }
  CHECK(rel(gs.grads(), cs.grads()) < kTol);
}
