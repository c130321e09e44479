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
const OptionTable<Pix2PixOptions>& pix2pix_option_table() {
  static const OptionTable<Pix2PixOptions> table([](OptionTable<Pix2PixOptions>& t) {
    using O = Pix2PixOptions;
    using R = OptionRole;
    add_gan_options(t);
    t.add("num-downs", {&O::g, &UNetOptions::num_downs},
          "U-Net levels (8 for 256x256, 7 for 128x128); sizes must divide by 2^levels", R::model);
    t.add("netG", &O::netG, "`unet_256` (8 levels) or `unet_128` (7 levels); empty: from --num-downs", R::model,
          {"", "unet_256", "unet_128"});
    t.range("lambda-l1", &O::lambda_l1, "weight of the L1 term in the generator loss", R::run, 0);
  });
  return table;
}

namespace {
// D judges cat(A, B), with G's norm.
PatchGANOptions discriminator_options(const Pix2PixOptions& o) {
  PatchGANOptions d = o.d;
  d.input_nc = o.g.input_nc + o.g.output_nc;
  d.norm = o.g.norm;
  return d;
}

Pix2PixOptions resolved(Pix2PixOptions o) {
  validate(o);
  return o;
}
}  // namespace

void validate(Pix2PixOptions& o) {
  pix2pix_option_table().check(o);  // the table's choices and the limits of the model's own options
  if (!o.netG.empty()) {
    const int n = o.netG == "unet_256" ? 8 : 7;
    P2P_CHECK(
        o.g.num_downs == UNetOptions{}.num_downs || o.g.num_downs == n,
        "--netG " << o.netG << " means --num-downs " << n << ", but --num-downs " << o.g.num_downs << " was given");
    o.g.num_downs = n;
  }
  validate(o.g);
  validate(discriminator_options(o));
  validate(o.adam);
}

Metadata pix2pix_options_to_metadata(const Pix2PixOptions& o) {
  return model_options_metadata(pix2pix_option_table(), o);
}

Pix2PixOptions pix2pix_options_from_metadata(const Metadata& m, const std::string& what) {
  return model_options_from_metadata(pix2pix_option_table(), m, what);
}

Pix2Pix::Pix2Pix(const Pix2PixOptions& opt, Device dev)
    : opt_(resolved(opt)),
      dev_(dev),
      dropout_seed_(derive_seed(opt.seed, 3)),
      generate_seed_(derive_seed(opt.seed, 4)) {
  G_ = std::make_unique<UNet>(opt_.g, g_store_, "G");
  D_ = std::make_unique<PatchGAN>(discriminator_options(opt_), d_store_, "D");
  g_store_.finalize(dev, derive_seed(opt.seed, 1));
  d_store_.finalize(dev, derive_seed(opt.seed, 2));
  adam_g_ = adam_d_ = opt_.adam;
  if (dev == Device::CUDA) {
    adam_state_ = std::make_unique<AdamDeviceState>();
    adam_state_->set(0, adam_g_.lr);
  }
  losses_ = Tensor::zeros({4}, dev);
  health_.add_network("G", g_store_, adam_g_);
  health_.add_network("D", d_store_, adam_d_);
  health_.add_activations("G", G_->layer_outputs());  // of the G step's forward
  health_.add_activations("D", D_->layer_outputs());  // of the G step's D(fake), through the updated D
  verdict_real_ = health_.add_verdict("D", true, opt_.gan_mode == "vanilla");
  verdict_fake_ = health_.add_verdict("D", false, opt_.gan_mode == "vanilla");
}

void Pix2Pix::set_learning_rate(float lr) {
  adam_g_.lr = lr;
  adam_d_.lr = lr;
  if (adam_state_) adam_state_->set_lr(lr);
}

void Pix2Pix::adam(ParamStore& store, const AdamConfig& cfg) {
  if (adam_state_)
    adam_step(store.values(), store.grads(), store.adam_m(), store.adam_v(), cfg, *adam_state_);
  else
    adam_step(store.values(), store.grads(), store.adam_m(), store.adam_v(), cfg, step_ + 1);
}

const Tensor& Pix2Pix::to_device(const Tensor& src, Tensor& buf) {
  check_rank(src, 4, "pix2pix input");
  ensure_buffer(buf, src.shape(), dev_);
  buf.copy_from(src);
  return buf;
}

StepLosses Pix2Pix::train_step(const Tensor& A, const Tensor& B) {
  to_device(A, A_);  // from the trainer's pinned batches: asynchronous, queued before the step
  to_device(B, B_);
  check_shape(A_, {A_.n(), opt_.g.input_nc, A_.h(), A_.w()}, "pix2pix input A");
  check_shape(B_, {A_.n(), opt_.g.output_nc, A_.h(), A_.w()}, "pix2pix input B");
  const bool graphed = graph_on_ && dev_ == Device::CUDA && !health_.watching();
  last_step_mode_ = graph_.run(
      graphed, shape_str(A_.shape()), [this] { run_step(); }, "the pix2pix step");
  fake_B_ = step_fake_B_;  // a replay rewrote it, but did not set the pointer (generate() may have moved it)
  ++step_;

  std::vector<float> l = losses_.to_vector();  // the one device-to-host copy (and sync) of the step
  return {l[0], l[1] * opt_.lambda_l1, l[2], l[3]};
}

void Pix2Pix::run_step() {
  Tensor loss_g_gan = losses_.slice(0, {1}), loss_g_l1 = losses_.slice(1, {1});
  Tensor loss_d_real = losses_.slice(2, {1}), loss_d_fake = losses_.slice(3, {1});

  RandomStreams rng = adam_state_ ? RandomStreams(dropout_seed_, 0, {adam_state_->steps_done(), kStreamsPerStep})
                                  : RandomStreams(dropout_seed_, static_cast<uint64_t>(step_) * kStreamsPerStep);
  fake_B_ = step_fake_B_ = &G_->forward(A_, /*training=*/true, rng);

  // D: the fake half (fake_B detached: no dx), then the real half; gradients accumulate over both.
  d_store_.zero_grad();
  const Tensor& pred_fake = D_->forward(cat_fake_.forward(A_, *fake_B_), true);
  gan_loss(opt_.gan_mode, pred_fake, false, loss_d_fake);
  health_.verdict(verdict_fake_, pred_fake);
  gan_loss_backward(opt_.gan_mode, pred_fake, false, 0.5f, dpred_);
  D_->backward(dpred_, nullptr, /*param_grads=*/true);
  const Tensor& pred_real = D_->forward(cat_real_.forward(A_, B_), true);
  gan_loss(opt_.gan_mode, pred_real, true, loss_d_real);
  health_.verdict(verdict_real_, pred_real);
  gan_loss_backward(opt_.gan_mode, pred_real, true, 0.5f, dpred_);
  D_->backward(dpred_, nullptr, true);
  adam(d_store_, adam_d_);

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
  adam(g_store_, adam_g_);
  if (adam_state_) adam_state_->advance();  // step_ + 1, on the device
}

const Tensor& Pix2Pix::generate(const Tensor& A, bool eval) {
  to_device(A, gen_in_);
  check_shape(gen_in_, {gen_in_.n(), opt_.g.input_nc, gen_in_.h(), gen_in_.w()}, "pix2pix generate input");
  RandomStreams rng(generate_seed_, generate_calls_++ * kStreamsPerStep);
  fake_B_ = &G_->forward(gen_in_, !eval, rng);
  return *fake_B_;
}

const Tensor& Pix2Pix::discriminate(const Tensor& A, const Tensor& B) {
  to_device(A, judge_A_);
  to_device(B, judge_B_);
  check_shape(judge_B_, {judge_A_.n(), opt_.g.output_nc, judge_A_.h(), judge_A_.w()}, "pix2pix discriminate B");
  return D_->forward(cat_judge_.forward(judge_A_, judge_B_), true);
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
  pix2pix_option_table().check_same(opt_, pix2pix_options_to_metadata(saved), OptionRole::model, "checkpoint " + path,
                                    "this model has", "");
  for (NamedTensor& t : named_tensors(with_optimizer))
    f.read_into(t.name, t.tensor, "(was it trained with other --ngf/--ndf/--num-downs/--n-layers-d?)");
  if (with_optimizer) {  // continuing training: the step count and the dropout streams of the saved run
    step_ = parse_option_int(f.meta("step"), "checkpoint " + path + ": metadata step");
    if (adam_state_) adam_state_->set(step_, adam_g_.lr);
    opt_.seed = saved.seed;
    dropout_seed_ = derive_seed(saved.seed, 3);
    graph_.reset();  // a graph holds the dropout seed as a kernel argument
  }
  return f.metadata();
}

}  // namespace p2p
