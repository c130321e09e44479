// --model cycle_gan: the ResNet generators and PatchGANs of models/cycle_gan.h on unaligned data.
#include "data/aligned_dataset.h"
#include "models/cycle_gan.h"
#include "runtime/check.h"
#include "tools/bind_options.h"
#include "tools/report_page.h"

namespace p2p {
namespace {

class CycleGANTrainModel : public ModelAdapter<CycleGAN> {
 public:
  using ModelAdapter::ModelAdapter;
  std::vector<std::string> loss_names() const override {
    return {"D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B"};
  }
  std::vector<float> train_step(const Tensor& A, const Tensor& B) override {
    CycleLosses l = m_.train_step(A, B);
    return {l.D_A, l.G_A, l.cycle_A, l.idt_A, l.D_B, l.G_B, l.cycle_B, l.idt_B};
  }
  NamedImages visuals() const override {
    return {{"real_A", m_.real_A()}, {"fake_B", m_.fake_B()}, {"real_B", m_.real_B()}, {"fake_A", m_.fake_A()}};
  }
  NamedImages test(const Tensor& A, const Tensor& B, bool) override {
    // Instance norm is per image in either mode, and dropout is off by default: eval changes nothing.
    CycleGAN::Translation t = m_.translate(A, B);
    return {{"real_A", A}, {"fake_B", t.fake_B}, {"rec_A", t.rec_A},
            {"real_B", B}, {"fake_A", t.fake_A}, {"rec_B", t.rec_B}};
  }
  // The six translations, and each D's maps on a real and a fake image of the domain it judges.
  ReportView report_view(const Tensor& A, const Tensor& B) override {
    KeepBuffers keep({&m_.g_store(), &m_.d_store()});
    ReportView v{test(A, B, false), {}, m_.options().gan_mode};
    for (auto& [n, t] : v.images) t = t.to(Device::CPU);  // the model's buffers
    const Tensor &fake_B = v.images[1].second, &fake_A = v.images[4].second;
    v.maps.push_back({"D_A(real_B)", patch_belief(m_.discriminate_A(B), v.gan_mode)});
    v.maps.push_back({"D_A(fake_B)", patch_belief(m_.discriminate_A(fake_B), v.gan_mode)});
    v.maps.push_back({"D_B(real_A)", patch_belief(m_.discriminate_B(A), v.gan_mode)});
    v.maps.push_back({"D_B(fake_A)", patch_belief(m_.discriminate_B(fake_A), v.gan_mode)});
    return v;
  }
  std::string describe() const override { return count("generators: 2 ResNets", "discriminators: 2 PatchGANs"); }
};

class CycleGANKind : public TableModelKind<CycleGANOptions, CycleGANTrainModel> {
 public:
  CycleGANKind() : TableModelKind(cycle_gan_option_table(), "cycle_gan", /*unpaired=*/true) {}
  void data_channels(DatasetOptions& d) const override { grey_channels(d, opt_.g.input_nc, opt_.g.output_nc); }
  void check_size(int h, int w, const std::string& source) const override {
    // Two stride-2 convolutions and two transposed ones give the input size back only for multiples
    // of 4; the residual blocks' ReflectionPad2d(1) at H/4 x W/4 needs at least 2 pixels there.
    P2P_CHECK(h % 4 == 0 && w % 4 == 0 && h >= 8 && w >= 8,
              source << " gives " << w << "x" << h
                     << " images, but the ResNet generator needs sizes divisible by 4 and at least 8 (its "
                        "reflection pad of 1 at a quarter of the size needs 2 pixels there; try --crop-size 64)");
  }
};

}  // namespace

P2P_REGISTER_MODEL(CycleGANKind);

}  // namespace p2p
