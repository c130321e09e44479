#include "models/vae.h"

#include <cmath>
#include <sstream>

#include "kernels/elementwise.h"
#include "kernels/vae.h"
#include "models/gan.h"
#include "models/model_io.h"
#include "nn/buffer.h"
#include "runtime/check.h"
#include "runtime/random.h"

namespace p2p {

const OptionTable<VAEOptions>& vae_option_table() {
  static const OptionTable<VAEOptions> table([](OptionTable<VAEOptions>& t) {
    using O = VAEOptions;
    using R = OptionRole;
    t.range("latent", &O::latent, "length of the latent vector (mu and log-variance each)", R::model, 1);
    t.add("ngf", {&O::dec, &DCGANGeneratorOptions::ngf}, "filters in the decoder's last stage", R::model);
    t.add("ndf", {&O::enc, &DCGANDiscriminatorOptions::ndf}, "filters in the encoder's first stage", R::model);
    t.add("image-size", {&O::dec, &DCGANGeneratorOptions::image_size}, "image side: 64, or 32 or 16 with fewer stages",
          R::model);
    t.add("recon", &O::recon, "reconstruction loss: `mse` (tanh output) or `bce` (pixels as probabilities)", R::model,
          {"mse", "bce"});
    t.range("beta", &O::beta, "weight of the KL term", R::run, 0);
    add_adam_options(t, "Adam learning rate");
  });
  return table;
}

Metadata vae_options_to_metadata(const VAEOptions& o) { return model_options_metadata(vae_option_table(), o); }

VAEOptions vae_options_from_metadata(const Metadata& m, const std::string& what) {
  return model_options_from_metadata(vae_option_table(), m, what);
}

namespace {
// The encoder reads the decoder's images and gives mu and the log-variance; the decoder reads the
// latent vector, through tanh for --recon mse.
DCGANDiscriminatorOptions encoder_options(const VAEOptions& o) {
  DCGANDiscriminatorOptions e = o.enc;
  e.nc = o.dec.nc;
  e.image_size = o.dec.image_size;
  e.out_channels = 2 * o.latent;
  return e;
}
DCGANGeneratorOptions decoder_options(const VAEOptions& o) {
  DCGANGeneratorOptions d = o.dec;
  d.nz = o.latent;
  d.tanh = o.recon == "mse";
  return d;
}
}  // namespace

void validate(const VAEOptions& o) {
  vae_option_table().check(o);
  validate(encoder_options(o));
  validate(decoder_options(o));
  validate(o.adam);
}

VAE::VAE(const VAEOptions& opt, Device dev) : opt_(validated(opt)), dev_(dev), eps_seed_(derive_seed(opt.seed, 5)) {
  E_ = std::make_unique<DCGANDiscriminator>(encoder_options(opt_), store_, "E");
  Dec_ = std::make_unique<DCGANGenerator>(decoder_options(opt_), store_, "Dec");
  store_.finalize(dev, derive_seed(opt.seed, 1));
  adam_ = opt_.adam;
  losses_ = Tensor::zeros({2}, dev);
  health_.add_network("E", store_, adam_);
  health_.add_network("Dec", store_, adam_);
  health_.add_activations("E", E_->layer_outputs());
  health_.add_activations("Dec", Dec_->layer_outputs());
}

const Tensor& VAE::to_device(const Tensor& x, Tensor& buf) {
  const int s = opt_.dec.image_size;
  P2P_CHECK(x.rank() == 4 && x.c() == opt_.dec.nc && x.h() == s && x.w() == s,
            "VAE: expected images [N, " << opt_.dec.nc << ", " << s << ", " << s << "], got " << shape_str(x.shape()));
  ensure_buffer(buf, x.shape(), dev_);
  buf.copy_from(x);
  return buf;
}

VAELosses VAE::train_step(const Tensor& x) {
  to_device(x, x_);
  const int n = x_.n();
  Tensor recon = losses_.slice(0, {1}), kl = losses_.slice(1, {1});
  const bool bce = opt_.recon == "bce";

  const Tensor& stats = E_->forward(x_, /*training=*/true);
  ensure_buffer(eps_, {n, opt_.latent, 1, 1}, dev_);
  fill_normal(eps_, 0.0f, 1.0f, eps_seed_, static_cast<uint64_t>(step_));
  ensure_buffer(z_, eps_.shape(), dev_);
  reparameterize_forward(stats, eps_, z_);
  const Tensor& xr = Dec_->forward(z_, true);
  if (bce)
    recon_bce_forward(xr, x_, recon);
  else
    recon_mse_forward(xr, x_, recon);
  kl_forward(stats, kl);

  store_.zero_grad();
  ensure_buffer(dxr_, xr.shape(), dev_);
  if (bce)
    recon_bce_backward(xr, x_, 1.0f, dxr_);
  else
    recon_mse_backward(xr, x_, 1.0f, dxr_);
  ensure_buffer(dz_, z_.shape(), dev_);
  Dec_->backward(dxr_, &dz_);
  ensure_buffer(dstats_, stats.shape(), dev_);
  reparameterize_backward(stats, eps_, dz_, dstats_);
  ensure_buffer(dkl_, stats.shape(), dev_);
  kl_backward(stats, opt_.beta, dkl_);
  axpy(1.0f, dkl_, dstats_);
  E_->backward(dstats_, nullptr, /*param_grads=*/true);
  adam_step(store_.values(), store_.grads(), store_.adam_m(), store_.adam_v(), adam_, step_ + 1);
  ++step_;

  const std::vector<float> l = losses_.to_vector();
  return {l[0], l[1], l[0] + opt_.beta * l[1]};
}

const Tensor& VAE::encode_mu(const Tensor& x) {
  const Tensor& stats = E_->forward(to_device(x, x_), /*training=*/false);
  ensure_buffer(eps_, {x_.n(), opt_.latent, 1, 1}, dev_);
  eps_.zero();
  ensure_buffer(z_, eps_.shape(), dev_);
  reparameterize_forward(stats, eps_, z_);  // z = mu + exp(lv / 2) 0
  return z_;
}

Tensor VAE::decode_eval(const Tensor& z) {
  ensure_buffer(zeval_, z.shape(), dev_);
  zeval_.copy_from(z);
  Tensor out = Dec_->forward(zeval_, /*training=*/false).to(Device::CPU);
  if (opt_.recon == "bce")  // logits to [-1, 1]: 2 sigmoid(v) - 1 = tanh(v / 2)
    for (int64_t i = 0; i < out.numel(); ++i) out.data()[i] = std::tanh(0.5f * out.data()[i]);
  return out;
}

float VAE::reconstruction_error(const Tensor& x) {
  const Tensor& xr = Dec_->forward(encode_mu(x), /*training=*/false);
  Tensor recon = losses_.slice(0, {1});
  if (opt_.recon == "bce")
    recon_bce_forward(xr, x_, recon);
  else
    recon_mse_forward(xr, x_, recon);
  return recon.to_vector()[0];
}

Tensor VAE::reconstruct(const Tensor& x) { return decode_eval(encode_mu(x)); }

Tensor VAE::sample(int count, uint64_t seed) { return decode_eval(prior_noise(count, opt_.latent, seed)); }

Tensor VAE::lerp(const std::vector<float>& a, const std::vector<float>& b, int count) const {
  P2P_CHECK(count >= 2, "VAE interpolate: needs at least 2 images (both ends), got " << count);
  Tensor z({count, opt_.latent, 1, 1});
  for (int k = 0; k < count; ++k) {
    const double t = double(k) / (count - 1);
    for (int i = 0; i < opt_.latent; ++i)
      z.data()[int64_t(k) * opt_.latent + i] = static_cast<float>((1 - t) * a[i] + t * b[i]);
  }
  return z;
}

Tensor VAE::interpolate(uint64_t seed_a, uint64_t seed_b, int count) {
  return decode_eval(
      lerp(prior_noise(1, opt_.latent, seed_a).to_vector(), prior_noise(1, opt_.latent, seed_b).to_vector(), count));
}

Tensor VAE::interpolate_images(const Tensor& a, const Tensor& b, int count) {
  P2P_CHECK(a.rank() == 4 && a.n() == 1 && b.rank() == 4 && b.n() == 1,
            "VAE interpolate_images: expected two single images [1, C, H, W]");
  const std::vector<float> mu_a = encode_mu(a).to_vector(), mu_b = encode_mu(b).to_vector();
  return decode_eval(lerp(mu_a, mu_b, count));
}

std::string VAE::summary() const {
  std::ostringstream os;
  os << "Encoder\n"
     << E_->summary() << "Decoder\n"
     << Dec_->summary() << "VAE: latent " << opt_.latent << ", " << store_.num_params() << " parameters\n";
  return os.str();
}

void VAE::save(const std::string& path, const Metadata& extra) {
  save_checkpoint(path, {&store_}, kFormat, step_, opt_.seed, vae_options_to_metadata(opt_), extra);
}

Metadata VAE::load(const std::string& path, bool with_optimizer) {
  SafetensorsFile f(path);
  const Metadata model = checkpoint_model(f, path, kFormat);
  vae_option_table().check_same(opt_, model, OptionRole::model, "checkpoint " + path, "this model has", "");
  const VAEOptions saved = vae_options_from_metadata(model, "checkpoint " + path);
  step_ = read_checkpoint(f, path, {&store_}, with_optimizer);
  opt_.seed = saved.seed;
  eps_seed_ = derive_seed(saved.seed, 5);
  return f.metadata();
}

}  // namespace p2p
