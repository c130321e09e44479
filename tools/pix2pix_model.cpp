// --model pix2pix: the U-Net and PatchGAN of models/pix2pix.h on aligned pairs.
#include "models/pix2pix.h"
#include "tools/bind_options.h"
#include "tools/options.h"
#include "tools/report_page.h"

namespace p2p {
namespace {

class Pix2PixTrainModel : public ModelAdapter<Pix2Pix> {
 public:
  using ModelAdapter::ModelAdapter;
  std::vector<std::string> loss_names() const override { return {"G_GAN", "G_L1", "D_real", "D_fake"}; }
  std::vector<float> train_step(const Tensor& A, const Tensor& B) override {
    StepLosses l = m_.train_step(A, B);
    return {l.g_gan, l.g_l1, l.d_real, l.d_fake};
  }
  NamedImages visuals() const override {
    return {{"real_A", m_.real_A()}, {"fake_B", m_.fake_B()}, {"real_B", m_.real_B()}};
  }
  bool set_graph(bool on) override {
    m_.set_graph(on);
    return true;
  }
  NamedImages test(const Tensor& A, const Tensor& B, bool eval) override {
    return {{"real_A", A}, {"fake_B", m_.generate(A, eval)}, {"real_B", B}};
  }
  // G(A) as `test` shows it, and D's maps on the real pair and on the fake one.
  ReportView report_view(const Tensor& A, const Tensor& B) override {
    KeepBuffers keep({&m_.g_store(), &m_.d_store()});
    ReportView v{test(A, B, false), {}, m_.options().gan_mode};
    const Tensor fake = v.images[1].second.to(Device::CPU);
    v.images[1].second = fake;  // G's buffer, which the next forward overwrites
    v.maps.push_back({"D(real_A, real_B)", patch_belief(m_.discriminate(A, B), v.gan_mode)});
    v.maps.push_back({"D(real_A, fake_B)", patch_belief(m_.discriminate(A, fake), v.gan_mode)});
    return v;
  }
  std::string describe() const override { return count("generator: U-Net", "discriminator: PatchGAN"); }
};

class Pix2PixKind : public TableModelKind<Pix2PixOptions, Pix2PixTrainModel> {
 public:
  Pix2PixKind() : TableModelKind(pix2pix_option_table(), "pix2pix", /*unpaired=*/false) {}
  void check_size(int h, int w, const std::string& source) const override {
    check_unet_size(h, w, opt_.g.num_downs, source);
  }
  void data_channels(DatasetOptions& d) const override { grey_channels(d, opt_.g.input_nc, opt_.g.output_nc); }
};

}  // namespace

P2P_REGISTER_MODEL(Pix2PixKind);

}  // namespace p2p
