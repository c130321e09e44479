// --model vae: the convolutional VAE of models/vae.h on a folder of single images
// (data/image_folder.h).
#include "models/vae.h"
#include "runtime/check.h"
#include "tools/bind_options.h"

namespace p2p {
namespace {

class VAETrainModel : public ModelAdapter<VAE> {
 public:
  using ModelAdapter::ModelAdapter;
  std::vector<std::string> loss_names() const override { return {"loss", "recon", "kl"}; }
  std::vector<float> train_step(const Tensor& A, const Tensor&) override {
    VAELosses l = m_.train_step(A);
    return {l.total, l.recon, l.kl};
  }
  NamedImages visuals() const override { return {}; }  // sample_picture() draws its grid instead
  NamedImages test(const Tensor& A, const Tensor&, bool) override {
    return {{"real", A}, {"reconstruction", m_.reconstruct(A)}};
  }
  std::string describe() const override {
    return "encoder and decoder: DCGAN networks, " + std::to_string(const_cast<VAE&>(m_).store().num_params()) +
           " parameters";
  }
  bool generative() const override { return true; }
  Tensor sample(int count, uint64_t seed) override { return m_.sample(count, seed); }
  Tensor interpolate(uint64_t a, uint64_t b, int steps) override { return m_.interpolate(a, b, steps); }
  Tensor reconstruct(const Tensor& x) override { return m_.reconstruct(x); }
};

class VAEKind : public ImageModelKind<VAEOptions, VAETrainModel> {
 public:
  VAEKind() : ImageModelKind(vae_option_table(), "vae", /*unpaired=*/false) {}
};

}  // namespace

P2P_REGISTER_MODEL(VAEKind);

}  // namespace p2p
