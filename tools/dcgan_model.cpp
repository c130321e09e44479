// --model dcgan: the DCGAN of models/dcgan.h on a folder of single images (data/image_folder.h).
#include "models/dcgan.h"
#include "runtime/check.h"
#include "tools/bind_options.h"

namespace p2p {
namespace {

class DCGANTrainModel : public ModelAdapter<DCGAN> {
 public:
  using ModelAdapter::ModelAdapter;
  std::vector<std::string> loss_names() const override { return {"D", "G", "D_x", "D_G_z1", "D_G_z2"}; }
  std::vector<float> train_step(const Tensor& A, const Tensor&) override {
    DCGANLosses l = m_.train_step(A);
    return {l.loss_d, l.loss_g, l.d_x, l.d_g_z1, l.d_g_z2};
  }
  NamedImages visuals() const override { return {}; }  // sample_picture() draws its grid instead
  NamedImages test(const Tensor&, const Tensor&, bool) override {
    P2P_FAIL("test: --model dcgan has no inputs to translate; draw images with `sample --checkpoint FILE`");
  }
  // The training's sample grid's first latent points (sample() runs G in eval mode: no state changes).
  ReportView report_view(const Tensor& A, const Tensor&) override {
    return {{{"sample", m_.sample(static_cast<int>(A.n()), kGridSeed)}}, {}, ""};
  }
  std::string describe() const override { return count("generator: DCGAN", "discriminator: DCGAN"); }
  bool generative() const override { return true; }
  Tensor sample(int count, uint64_t seed) override { return m_.sample(count, seed); }
  Tensor interpolate(uint64_t a, uint64_t b, int steps) override { return m_.interpolate(a, b, steps); }
};

class DCGANKind : public ImageModelKind<DCGANOptions, DCGANTrainModel> {
 public:
  DCGANKind() : ImageModelKind(dcgan_option_table(), "dcgan", /*unpaired=*/false) {}
};

}  // namespace

P2P_REGISTER_MODEL(DCGANKind);

}  // namespace p2p
