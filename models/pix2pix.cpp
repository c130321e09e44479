#include "models/pix2pix.h"

#include <algorithm>
#include <sstream>

#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "models/gan.h"
#include "models/model_io.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

Metadata pix2pix_options_to_metadata(const Pix2PixOptions& o) {
  return {{"input_nc", std::to_string(o.input_nc)},
          {"output_nc", std::to_string(o.output_nc)},
          {"num_downs", std::to_string(o.num_downs)},
          {"ngf", std::to_string(o.ngf)},
          {"ndf", std::to_string(o.ndf)},
          {"n_layers_d", std::to_string(o.n_layers_d)},
          {"norm", norm_name(o.norm)},
          {"dropout", o.dropout ? "true" : "false"},
          {"gan_mode", o.gan_mode},
          {"lr", float_text(o.lr)},
          {"beta1", float_text(o.beta1)},
          {"beta2", float_text(o.beta2)},
          {"lambda_l1", float_text(o.lambda_l1)},
          {"epochs", std::to_string(o.epochs)},
          {"epochs_decay", std::to_string(o.epochs_decay)},
          {"seed", std::to_string(o.seed)}};
}

Pix2PixOptions pix2pix_options_from_metadata(const Metadata& m, const std::string& what) {
  auto get = [&](const char* key) -> const std::string& {
    auto it = m.find(key);
    P2P_CHECK(it != m.end(), what << ": model option '" << key << "' is missing");
    return it->second;
  };
  auto num = [&](const char* key) { return static_cast<int>(parse_int(get(key), what + ": option " + key)); };
  auto real = [&](const char* key) { return parse_float(get(key), what + ": option " + key); };
  Pix2PixOptions o;
  o.input_nc = num("input_nc");
  o.output_nc = num("output_nc");
  o.num_downs = num("num_downs");
  o.ngf = num("ngf");
  o.ndf = num("ndf");
  o.n_layers_d = num("n_layers_d");
  o.norm = parse_norm(get("norm"));
  P2P_CHECK(get("dropout") == "true" || get("dropout") == "false", what << ": option dropout is not true/false");
  o.dropout = get("dropout") == "true";
  o.gan_mode = get("gan_mode");
  o.lr = real("lr");
  o.beta1 = real("beta1");
  o.beta2 = real("beta2");
  o.lambda_l1 = real("lambda_l1");
  o.epochs = num("epochs");
  o.epochs_decay = num("epochs_decay");
  o.seed = static_cast<uint64_t>(parse_int(get("seed"), what + ": option seed"));
  return o;
}

Pix2Pix::Pix2Pix(const Pix2PixOptions& opt, Device dev)
    : opt_(opt), dev_(dev), dropout_seed_(derive_seed(opt.seed, 3)), generate_seed_(derive_seed(opt.seed, 4)) {
  check_gan_mode(opt.gan_mode);
  P2P_CHECK(opt.epochs >= 0 && opt.epochs_decay >= 0, "--epochs and --epochs-decay must not be negative");
  UNetOptions g;
  g.input_nc = opt.input_nc;
  g.output_nc = opt.output_nc;
  g.num_downs = opt.num_downs;
  g.ngf = opt.ngf;
  g.norm = opt.norm;
  g.dropout = opt.dropout;
  G_ = std::make_unique<UNet>(g, g_store_, "G");
  PatchGANOptions d;
  d.input_nc = opt.input_nc + opt.output_nc;
  d.ndf = opt.ndf;
  d.n_layers = opt.n_layers_d;
  d.norm = opt.norm;
  D_ = std::make_unique<PatchGAN>(d, d_store_, "D");
  g_store_.finalize(dev, derive_seed(opt.seed, 1));
  d_store_.finalize(dev, derive_seed(opt.seed, 2));
  for (AdamConfig* a : {&adam_g_, &adam_d_}) {
    a->lr = opt.lr;
    a->beta1 = opt.beta1;
    a->beta2 = opt.beta2;
  }
  losses_ = Tensor::zeros({4}, dev);
}

float Pix2Pix::learning_rate(int epoch) const {
  // lr_l = 1 - max(0, epoch + epoch_count - n_epochs) / (n_epochs_decay + 1), epoch_count = 1.
  double decay = std::max(0, epoch + 1 - opt_.epochs) / static_cast<double>(opt_.epochs_decay + 1);
  return static_cast<float>(opt_.lr * (1.0 - decay));
}

void Pix2Pix::set_learning_rate(float lr) {
  adam_g_.lr = lr;
  adam_d_.lr = lr;
}

const Tensor& Pix2Pix::to_device(const Tensor& src, Tensor& buf) {
  check_rank(src, 4, "pix2pix input");
  ensure_buffer(buf, src.shape(), dev_);
  buf.copy_from(src);
  return buf;
}

StepLosses Pix2Pix::train_step(const Tensor& A, const Tensor& B) {
  to_device(A, A_);
  to_device(B, B_);
  check_shape(A_, {A_.n(), opt_.input_nc, A_.h(), A_.w()}, "pix2pix input A");
  check_shape(B_, {A_.n(), opt_.output_nc, A_.h(), A_.w()}, "pix2pix input B");
  Tensor loss_g_gan = losses_.slice(0, {1}), loss_g_l1 = losses_.slice(1, {1});
  Tensor loss_d_real = losses_.slice(2, {1}), loss_d_fake = losses_.slice(3, {1});

  RandomStreams rng(dropout_seed_, static_cast<uint64_t>(step_) * kStreamsPerStep);
  fake_B_ = &G_->forward(A_, /*training=*/true, rng);

  // D: the fake half (fake_B detached: no dx), then the real half; gradients accumulate over both.
  d_store_.zero_grad();
  const Tensor& pred_fake = D_->forward(cat_fake_.forward(A_, *fake_B_), true);
  gan_loss(opt_.gan_mode, pred_fake, false, loss_d_fake);
  gan_loss_backward(opt_.gan_mode, pred_fake, false, 0.5f, dpred_);
  D_->backward(dpred_, nullptr, /*param_grads=*/true);
  const Tensor& pred_real = D_->forward(cat_real_.forward(A_, B_), true);
  gan_loss(opt_.gan_mode, pred_real, true, loss_d_real);
  gan_loss_backward(opt_.gan_mode, pred_real, true, 0.5f, dpred_);
  D_->backward(dpred_, nullptr, true);
  adam_step(d_store_.values(), d_store_.grads(), d_store_.adam_m(), d_store_.adam_v(), adam_d_, step_ + 1);

  // G: through the updated D (its parameters fixed) to d(fake_B), plus lambda * dL1.
  const Tensor& pred = D_->forward(cat_fake_.output(), true);
  gan_loss(opt_.gan_mode, pred, true, loss_g_gan);
  gan_loss_backward(opt_.gan_mode, pred, true, 1.0f, dpred_);
  ensure_buffer(dcat_, cat_fake_.output().shape(), dev_);
  D_->backward(dpred_, &dcat_, /*param_grads=*/false);
  ensure_buffer(dfake_, fake_B_->shape(), dev_);
  cat_fake_.backward(dcat_, nullptr, &dfake_);
  l1_forward(*fake_B_, B_, loss_g_l1);
  ensure_buffer(dl1_, fake_B_->shape(), dev_);
  l1_backward(*fake_B_, B_, opt_.lambda_l1, dl1_);
  axpy(1.0f, dl1_, dfake_);
  g_store_.zero_grad();
  G_->backward(dfake_);
  adam_step(g_store_.values(), g_store_.grads(), g_store_.adam_m(), g_store_.adam_v(), adam_g_, step_ + 1);
  ++step_;

  std::vector<float> l = losses_.to_vector();  // the one device-to-host copy (and sync) of the step
  return {l[0], l[1] * opt_.lambda_l1, l[2], l[3]};
}

const Tensor& Pix2Pix::generate(const Tensor& A, bool eval) {
  to_device(A, gen_in_);
  check_shape(gen_in_, {gen_in_.n(), opt_.input_nc, gen_in_.h(), gen_in_.w()}, "pix2pix generate input");
  RandomStreams rng(generate_seed_, generate_calls_++ * kStreamsPerStep);
  fake_B_ = &G_->forward(gen_in_, !eval, rng);
  return *fake_B_;
}

std::string Pix2Pix::summary() const {
  std::ostringstream os;
  os << "Generator (U-Net, " << g_store_.num_params() << " parameters)\n"
     << G_->summary() << "Discriminator (PatchGAN, " << d_store_.num_params() << " parameters)\n"
     << D_->summary();
  return os.str();
}

std::vector<NamedTensor> Pix2Pix::named_tensors(bool with_optimizer) {
  return store_tensors({&g_store_, &d_store_}, with_optimizer);
}

void Pix2Pix::save(const std::string& path, const Metadata& extra) {
  Metadata meta = extra;
  meta["format"] = kFormat;
  meta["step"] = std::to_string(step_);
  meta["seed"] = std::to_string(opt_.seed);
  meta["model"] = json_object(pix2pix_options_to_metadata(opt_));
  save_safetensors(path, named_tensors(true), meta);
}

Metadata Pix2Pix::load(const std::string& path, bool with_optimizer) {
  SafetensorsFile f(path);
  P2P_CHECK(f.meta("format") == kFormat,
            "checkpoint " << path << ": format '" << f.meta("format") << "', this program reads '" << kFormat << "'");
  Pix2PixOptions saved =
      pix2pix_options_from_metadata(parse_json_object(f.meta("model"), "checkpoint " + path), "checkpoint " + path);
  auto same = [&](const char* flag, const std::string& theirs, const std::string& ours) {
    P2P_CHECK(theirs == ours, "checkpoint " << path << " was trained with " << flag << " " << theirs
                                            << ", this model has " << flag << " " << ours);
  };
  same("--num-downs", std::to_string(saved.num_downs), std::to_string(opt_.num_downs));
  same("--ngf", std::to_string(saved.ngf), std::to_string(opt_.ngf));
  same("--ndf", std::to_string(saved.ndf), std::to_string(opt_.ndf));
  same("--n-layers-d", std::to_string(saved.n_layers_d), std::to_string(opt_.n_layers_d));
  same("--norm", norm_name(saved.norm), norm_name(opt_.norm));
  same("input channels", std::to_string(saved.input_nc), std::to_string(opt_.input_nc));
  same("output channels", std::to_string(saved.output_nc), std::to_string(opt_.output_nc));
  for (NamedTensor& t : named_tensors(with_optimizer))
    f.read_into(t.name, t.tensor, "(was it trained with other --ngf/--ndf/--num-downs/--n-layers-d?)");
  if (with_optimizer) {  // continuing training: the step count and the dropout streams of the saved run
    step_ = parse_int(f.meta("step"), "checkpoint " + path + ": metadata step");
    opt_.seed = saved.seed;
    dropout_seed_ = derive_seed(saved.seed, 3);
  }
  return f.metadata();
}

}  // namespace p2p
