#include "models/dcgan.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/gan.h"
#include "models/model_io.h"
#include "nn/buffer.h"
#include "runtime/check.h"
#include "runtime/random.h"

namespace p2p {

const OptionTable<DCGANOptions>& dcgan_option_table() {
  static const OptionTable<DCGANOptions> table([](OptionTable<DCGANOptions>& t) {
    using O = DCGANOptions;
    using R = OptionRole;
    t.add("nz", {&O::g, &DCGANGeneratorOptions::nz}, "length of the noise vector z", R::model);
    t.add("ngf", {&O::g, &DCGANGeneratorOptions::ngf}, "filters in the generator's last stage", R::model);
    t.add("ndf", {&O::d, &DCGANDiscriminatorOptions::ndf}, "filters in the discriminator's first stage", R::model);
    t.add("image-size", {&O::g, &DCGANGeneratorOptions::image_size},
          "image side: 64 as the reference, 32 or 16 with fewer stages", R::model);
    add_adam_options(t, "Adam learning rate (both networks)");
  });
  return table;
}

Metadata dcgan_options_to_metadata(const DCGANOptions& o) { return model_options_metadata(dcgan_option_table(), o); }

DCGANOptions dcgan_options_from_metadata(const Metadata& m, const std::string& what) {
  return model_options_from_metadata(dcgan_option_table(), m, what);
}

namespace {
// D judges G's images: their channels and side.
DCGANDiscriminatorOptions discriminator_options(const DCGANOptions& o) {
  DCGANDiscriminatorOptions d = o.d;
  d.nc = o.g.nc;
  d.image_size = o.g.image_size;
  return d;
}
}  // namespace

void validate(const DCGANOptions& o) {
  dcgan_option_table().check(o);
  validate(o.g);
  validate(discriminator_options(o));
  validate(o.adam);
}

DCGAN::DCGAN(const DCGANOptions& opt, Device dev)
    : opt_(validated(opt)), dev_(dev), noise_seed_(derive_seed(opt.seed, 3)) {
  G_ = std::make_unique<DCGANGenerator>(opt_.g, g_store_, "G");
  D_ = std::make_unique<DCGANDiscriminator>(discriminator_options(opt_), d_store_, "D");
  g_store_.finalize(dev, derive_seed(opt.seed, 1));
  d_store_.finalize(dev, derive_seed(opt.seed, 2));
  adam_g_ = adam_d_ = opt_.adam;
  losses_ = Tensor::zeros({3}, dev);
  health_.add_network("G", g_store_, adam_g_);
  health_.add_network("D", d_store_, adam_d_);
  health_.add_activations("G", G_->layer_outputs());
  health_.add_activations("D", D_->layer_outputs());
  verdict_real_ = health_.add_verdict("D", true, true);
  verdict_fake_ = health_.add_verdict("D", false, true);
}

DCGANLosses DCGAN::train_step(const Tensor& real) {
  const int s = opt_.g.image_size;
  // A batch of one is fine: every batch norm sees at least a 4x4 map per channel.
  P2P_CHECK(real.rank() == 4 && real.c() == opt_.g.nc && real.h() == s && real.w() == s,
            "DCGAN: expected a batch of images [N, " << opt_.g.nc << ", " << s << ", " << s << "], got "
                                                     << shape_str(real.shape()));
  const int n = real.n();
  ensure_buffer(real_, real.shape(), dev_);
  real_.copy_from(real);
  ensure_buffer(z_, {n, opt_.g.nz, 1, 1}, dev_);
  fill_normal(z_, 0.0f, 1.0f, noise_seed_, static_cast<uint64_t>(step_));
  ensure_buffer(logits_, {3 * int64_t(n)}, dev_);
  Tensor err_real = losses_.slice(0, {1}), err_fake = losses_.slice(1, {1}), err_g = losses_.slice(2, {1});
  auto keep_logits = [&](int k, const Tensor& pred) { logits_.slice(int64_t(k) * n, {n}).copy_from(pred); };

  // D on the real batch (target 1), then on the detached fake (target 0); one Adam step.
  d_store_.zero_grad();
  const Tensor& pred_real = D_->forward(real_, true);
  keep_logits(0, pred_real);
  health_.verdict(verdict_real_, pred_real);
  gan_loss("vanilla", pred_real, true, err_real);
  gan_loss_backward("vanilla", pred_real, true, 1.0f, dpred_);
  D_->backward(dpred_, nullptr, /*param_grads=*/true);
  const Tensor& fake = G_->forward(z_, true);
  const Tensor& pred_fake = D_->forward(fake, true);
  keep_logits(1, pred_fake);
  health_.verdict(verdict_fake_, pred_fake);
  gan_loss("vanilla", pred_fake, false, err_fake);
  gan_loss_backward("vanilla", pred_fake, false, 1.0f, dpred_);
  D_->backward(dpred_, nullptr, true);
  adam_step(d_store_.values(), d_store_.grads(), d_store_.adam_m(), d_store_.adam_v(), adam_d_, step_ + 1);

  // G through the updated D (target 1): D's gradient reaches the fake only.
  const Tensor& pred = D_->forward(fake, true);
  keep_logits(2, pred);
  gan_loss("vanilla", pred, true, err_g);
  gan_loss_backward("vanilla", pred, true, 1.0f, dpred_);
  ensure_buffer(dfake_, fake.shape(), dev_);
  D_->backward(dpred_, &dfake_, /*param_grads=*/false);
  g_store_.zero_grad();
  G_->backward(dfake_, nullptr);
  adam_step(g_store_.values(), g_store_.grads(), g_store_.adam_m(), g_store_.adam_v(), adam_g_, step_ + 1);
  ++step_;

  const std::vector<float> l = losses_.to_vector(), p = logits_.to_vector();  // the step's host copies
  double mean_prob[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < n; ++i) mean_prob[k] += 1.0 / (1.0 + std::exp(-double(p[size_t(k) * n + i])));
    mean_prob[k] /= n;
  }
  return {l[0] + l[1], l[2], float(mean_prob[0]), float(mean_prob[1]), float(mean_prob[2])};
}

Tensor DCGAN::generate_eval(const Tensor& z) {
  ensure_buffer(zeval_, z.shape(), dev_);
  zeval_.copy_from(z);
  return G_->forward(zeval_, /*training=*/false).to(Device::CPU);
}

Tensor DCGAN::sample(int count, uint64_t seed) { return generate_eval(prior_noise(count, opt_.g.nz, seed)); }

Tensor DCGAN::interpolate(uint64_t seed_a, uint64_t seed_b, int count) {
  P2P_CHECK(count >= 2, "DCGAN interpolate: needs at least 2 images (both ends), got " << count);
  const std::vector<float> a = prior_noise(1, opt_.g.nz, seed_a).to_vector(),
                           b = prior_noise(1, opt_.g.nz, seed_b).to_vector();
  // slerp(a, b; t) = sin((1 - t) w) / sin(w) a + sin(t w) / sin(w) b, w the angle between a and b;
  // the straight line where the two are (nearly) parallel.
  double dot = 0, na = 0, nb = 0;
  for (int i = 0; i < opt_.g.nz; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  const double omega = std::acos(std::clamp(dot / std::sqrt(na * nb), -1.0, 1.0)), so = std::sin(omega);
  Tensor z({count, opt_.g.nz, 1, 1});
  for (int k = 0; k < count; ++k) {
    const double t = double(k) / (count - 1);
    const double wa = so < 1e-6 ? 1 - t : std::sin((1 - t) * omega) / so;
    const double wb = so < 1e-6 ? t : std::sin(t * omega) / so;
    for (int i = 0; i < opt_.g.nz; ++i)
      z.data()[int64_t(k) * opt_.g.nz + i] = static_cast<float>(wa * a[i] + wb * b[i]);
  }
  return generate_eval(z);
}

std::string DCGAN::summary() const {
  std::ostringstream os;
  os << "Generator (" << g_store_.num_params() << " parameters)\n"
     << G_->summary() << "Discriminator (" << d_store_.num_params() << " parameters)\n"
     << D_->summary();
  return os.str();
}

void DCGAN::save(const std::string& path, const Metadata& extra) {
  save_checkpoint(path, {&g_store_, &d_store_}, kFormat, step_, opt_.seed, dcgan_options_to_metadata(opt_), extra);
}

Metadata DCGAN::load(const std::string& path, bool with_optimizer) {
  SafetensorsFile f(path);
  const Metadata model = checkpoint_model(f, path, kFormat);
  dcgan_option_table().check_same(opt_, model, OptionRole::model, "checkpoint " + path, "this model has", "");
  const DCGANOptions saved = dcgan_options_from_metadata(model, "checkpoint " + path);
  step_ = read_checkpoint(f, path, {&g_store_, &d_store_}, with_optimizer);
  opt_.seed = saved.seed;
  noise_seed_ = derive_seed(saved.seed, 3);
  return f.metadata();
}

}  // namespace p2p
