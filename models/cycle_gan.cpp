#include "models/cycle_gan.h"

#include <sstream>
#include <tuple>

#include "kernels/elementwise.h"
#include "kernels/loss.h"
#include "models/gan.h"
#include "models/model_io.h"
#include "nn/buffer.h"
#include "runtime/check.h"

namespace p2p {

namespace {
// Seed tags (derive_seed): the generators' and the discriminators' initialisation, the dropout
// masks, the two pools.
enum SeedTag : uint64_t { kInitG = 1, kInitD, kDropout, kPoolA, kPoolB, kTranslate };

// The generator forwards of one step, for their dropout streams (step 7 reuses 1 and 3).
enum Forward : uint64_t { kFakeB, kRecA, kFakeA, kRecB, kIdtA, kIdtB };

// losses_ entries.
enum Loss {
  kLossGA,
  kLossGB,
  kCycleA,
  kCycleB,
  kIdtALoss,
  kIdtBLoss,
  kDARealLoss,
  kDAFakeLoss,
  kDBRealLoss,
  kDBFakeLoss,
  kNumLosses
};

// D_A judges domain B (input_nc = output_nc), D_B domain A; both with G's norm.
PatchGANOptions discriminator_options(const CycleGANOptions& o, int input_nc) {
  PatchGANOptions d = o.d;
  d.input_nc = input_nc;
  d.norm = o.g.norm;
  return d;
}
}  // namespace

void validate(const CycleGANOptions& o) {
  cycle_gan_option_table().check(o);  // the table's choices and the limits of the model's own options
  P2P_CHECK(o.g.n_blocks <= int(CycleGAN::kStreamsPerForward),
            "--n-blocks " << o.g.n_blocks << ": at most " << CycleGAN::kStreamsPerForward
                          << " (the dropout stream offsets one generator forward reserves)");
  P2P_CHECK(o.g.norm != NormKind::batch,
            "--norm batch: this CycleGAN supports instance or none (its G step "
            "recomputes two forwards, which would update batch-norm running statistics "
            "once too often; see models/cycle_gan.h)");
  P2P_CHECK(o.lambda_identity == 0 || o.g.input_nc == o.g.output_nc,
            "--lambda-identity " << o.lambda_identity << " needs input_nc == output_nc (the identity loss feeds B to "
                                 << "G_A), got " << o.g.input_nc << " and " << o.g.output_nc);
  validate(o.g);
  validate(discriminator_options(o, o.g.output_nc));
  validate(o.adam);
}

const OptionTable<CycleGANOptions>& cycle_gan_option_table() {
  static const OptionTable<CycleGANOptions> table([](OptionTable<CycleGANOptions>& t) {
    using O = CycleGANOptions;
    using R = OptionRole;
    t.add("n-blocks", {&O::g, &ResnetOptions::n_blocks},
          "residual blocks of the ResNet generators (9: resnet_9blocks, 6: resnet_6blocks)", R::model);
    add_gan_options(t);
    t.range("lambda-A", &O::lambda_A, "weight of the cycle loss A -> B -> A", R::run, 0);
    t.range("lambda-B", &O::lambda_B, "weight of the cycle loss B -> A -> B", R::run, 0);
    t.range("lambda-identity", &O::lambda_identity,
            "weight of the identity loss, relative to lambda-A / lambda-B (0 = none)", R::run, 0);
    t.range("pool-size", &O::pool_size, "fakes kept in each image pool for the discriminators (0 = none)", R::model, 0);
  });
  return table;
}

Metadata cycle_gan_options_to_metadata(const CycleGANOptions& o) {
  return model_options_metadata(cycle_gan_option_table(), o);
}

CycleGANOptions cycle_gan_options_from_metadata(const Metadata& m, const std::string& what) {
  return model_options_from_metadata(cycle_gan_option_table(), m, what);
}

CycleGAN::CycleGAN(const CycleGANOptions& opt, Device dev)
    : opt_(validated(opt)),
      dev_(dev),
      pool_A_(opt.pool_size, derive_seed(opt.seed, kPoolA), dev),
      pool_B_(opt.pool_size, derive_seed(opt.seed, kPoolB), dev),
      dropout_seed_(derive_seed(opt.seed, kDropout)) {
  ResnetOptions gb = opt_.g;
  std::swap(gb.input_nc, gb.output_nc);
  G_A_ = std::make_unique<ResnetGenerator>(opt_.g, g_store_, "G_A");
  G_B_ = std::make_unique<ResnetGenerator>(gb, g_store_, "G_B");
  D_A_ = std::make_unique<PatchGAN>(discriminator_options(opt_, opt_.g.output_nc), d_store_, "D_A");
  D_B_ = std::make_unique<PatchGAN>(discriminator_options(opt_, opt_.g.input_nc), d_store_, "D_B");
  // One flat store per optimizer; the networks within it initialised from the one seed.
  g_store_.finalize(dev, derive_seed(opt.seed, kInitG));
  d_store_.finalize(dev, derive_seed(opt.seed, kInitD));
  adam_g_ = adam_d_ = opt_.adam;
  losses_ = Tensor::zeros({kNumLosses}, dev);
  for (const char* g : {"G_A", "G_B"}) health_.add_network(g, g_store_, adam_g_);
  for (const char* d : {"D_A", "D_B"}) health_.add_network(d, d_store_, adam_d_);
  health_.add_activations("G_A", G_A_->layer_outputs());  // of step 7's G_A(A) and G_B(B)
  health_.add_activations("G_B", G_B_->layer_outputs());
  health_.add_activations("D_A", D_A_->layer_outputs());  // of the D step's fake halves
  health_.add_activations("D_B", D_B_->layer_outputs());
  for (int d = 0; d < 2; ++d)
    for (int k = 0; k < 2; ++k)  // k = 0: real, 1: fake
      verdict_[d][k] = health_.add_verdict(d == 0 ? "D_A" : "D_B", k == 0, opt_.gan_mode == "vanilla");
}

const Tensor& CycleGAN::to_device(const Tensor& src, Tensor& buf, int channels, const char* what) {
  check_rank(src, 4, what);
  P2P_CHECK(src.c() == channels, what << ": expected " << channels << " channels, got " << shape_str(src.shape()));
  ensure_buffer(buf, src.shape(), dev_);
  buf.copy_from(src);
  return buf;
}

RandomStreams CycleGAN::streams(uint64_t forward) const {
  return RandomStreams(dropout_seed_, (uint64_t(step_) * kForwardsPerStep + forward) * kStreamsPerForward);
}

CycleLosses CycleGAN::train_step(const Tensor& A, const Tensor& B) {
  to_device(A, A_, opt_.g.input_nc, "cycle_gan input A");
  to_device(B, B_, opt_.g.output_nc, "cycle_gan input B");
  auto loss = [&](int i) { return losses_.slice(i, {1}); };
  const std::string& mode = opt_.gan_mode;
  // fwd(G, x, k): generator forward number k of this step, in training mode.
  auto fwd = [&](ResnetGenerator& G, const Tensor& x, Forward k) -> const Tensor& {
    RandomStreams rng = streams(k);
    return G.forward(x, true, rng);
  };
  // L1 term weight * |y - target|: the loss (unscaled) into losses_[i], weight * dL1/dy into d.
  auto l1 = [&](const Tensor& y, const Tensor& target, float weight, int i, Tensor& d) {
    Tensor l = loss(i);
    l1_forward(y, target, l);
    ensure_buffer(d, y.shape(), dev_);
    l1_backward(y, target, weight, d);
  };
  const float idt_A = opt_.lambda_identity * opt_.lambda_B, idt_B = opt_.lambda_identity * opt_.lambda_A;

  // G step, in the order of models/cycle_gan.h.
  g_store_.zero_grad();
  const Tensor& fb = fwd(*G_A_, A_, kFakeB);  // 1
  ensure_buffer(fake_B_, fb.shape(), dev_);
  fake_B_.copy_from(fb);
  l1(fwd(*G_B_, fake_B_, kRecA), A_, opt_.lambda_A, kCycleA, dimg_);  // 2
  G_B_->backward(dimg_, &dfake_B_);
  const Tensor& fa = fwd(*G_B_, B_, kFakeA);  // 3
  ensure_buffer(fake_A_, fa.shape(), dev_);
  fake_A_.copy_from(fa);
  l1(fwd(*G_A_, fake_A_, kRecB), B_, opt_.lambda_B, kCycleB, dimg_);  // 4
  G_A_->backward(dimg_, &dfake_A_);
  if (opt_.lambda_identity > 0) {  // 5 (the official code skips the identity forwards at 0 too)
    l1(fwd(*G_A_, B_, kIdtA), B_, idt_A, kIdtALoss, dimg_);
    G_A_->backward(dimg_);
    l1(fwd(*G_B_, A_, kIdtB), A_, idt_B, kIdtBLoss, dimg_);
    G_B_->backward(dimg_);
  } else {
    Tensor l = losses_.slice(kIdtALoss, {2});
    l.copy_from(Tensor::zeros({2}));
  }
  // 6: through the frozen discriminators to the images only.
  for (auto [D, fake, dfake, i] :
       {std::tuple{D_A_.get(), &fake_B_, &dfake_B_, kLossGA}, std::tuple{D_B_.get(), &fake_A_, &dfake_A_, kLossGB}}) {
    const Tensor& pred = D->forward(*fake, true);
    Tensor l = loss(i);
    gan_loss(mode, pred, true, l);
    gan_loss_backward(mode, pred, true, 1.0f, dpred_);
    D->backward(dpred_, &dimg_, /*param_grads=*/false);
    axpy(1.0f, dimg_, *dfake);
  }
  fwd(*G_A_, A_, kFakeB);  // 7: the same bits as step 1 and 3
  G_A_->backward(dfake_B_);
  fwd(*G_B_, B_, kFakeA);
  G_B_->backward(dfake_A_);
  adam_step(g_store_.values(), g_store_.grads(), g_store_.adam_m(), g_store_.adam_v(), adam_g_, step_ + 1);

  // D step: real against a pooled fake (made before the G update), 0.5 each.
  d_store_.zero_grad();
  for (auto [D, real, pool, fake, i, verdict] :
       {std::tuple{D_A_.get(), &B_, &pool_A_, &fake_B_, kDARealLoss, verdict_[0]},
        std::tuple{D_B_.get(), &A_, &pool_B_, &fake_A_, kDBRealLoss, verdict_[1]}}) {
    const Tensor& pred_real = D->forward(*real, true);
    health_.verdict(verdict[0], pred_real);
    Tensor lr = loss(i), lf = loss(i + 1);
    gan_loss(mode, pred_real, true, lr);
    gan_loss_backward(mode, pred_real, true, 0.5f, dpred_);
    D->backward(dpred_, nullptr, true);
    const Tensor& pred_fake = D->forward(pool->query(*fake), true);
    health_.verdict(verdict[1], pred_fake);
    gan_loss(mode, pred_fake, false, lf);
    gan_loss_backward(mode, pred_fake, false, 0.5f, dpred_);
    D->backward(dpred_, nullptr, true);
  }
  adam_step(d_store_.values(), d_store_.grads(), d_store_.adam_m(), d_store_.adam_v(), adam_d_, step_ + 1);
  ++step_;

  const std::vector<float> l = losses_.to_vector();  // the one device-to-host copy of the step
  return {0.5f * (l[kDARealLoss] + l[kDAFakeLoss]), l[kLossGA], opt_.lambda_A * l[kCycleA], idt_A * l[kIdtALoss],
          0.5f * (l[kDBRealLoss] + l[kDBFakeLoss]), l[kLossGB], opt_.lambda_B * l[kCycleB], idt_B * l[kIdtBLoss]};
}

std::string CycleGAN::summary() const {
  std::ostringstream os;
  os << "Generators (ResNet, " << g_store_.num_params() << " parameters)\n"
     << G_A_->summary() << G_B_->summary() << "Discriminators (PatchGAN, " << d_store_.num_params() << " parameters)\n"
     << D_A_->summary() << D_B_->summary();
  return os.str();
}

std::vector<NamedTensor> CycleGAN::named_tensors(bool with_optimizer) {
  return store_tensors({&g_store_, &d_store_}, with_optimizer);
}

void CycleGAN::save(const std::string& path, const Metadata& extra) {
  Metadata meta = extra;
  std::vector<NamedTensor> tensors = named_tensors(true);
  pool_A_.save("pool_A", tensors, meta);
  pool_B_.save("pool_B", tensors, meta);
  meta["format"] = kFormat;
  meta["step"] = std::to_string(step_);
  meta["seed"] = std::to_string(opt_.seed);
  meta["model"] = json_object(cycle_gan_options_to_metadata(opt_));
  save_safetensors(path, tensors, meta);
}

Metadata CycleGAN::load(const std::string& path, bool with_optimizer) {
  SafetensorsFile f(path);
  P2P_CHECK(f.meta("format") == kFormat,
            "checkpoint " << path << ": format '" << f.meta("format") << "', this program reads '" << kFormat << "'");
  // The architecture must match; the saved seed (dropout streams, pools) and step are taken over.
  const std::string what = "checkpoint " + path;
  cycle_gan_option_table().check_same(opt_, parse_json_object(f.meta("model"), what), OptionRole::model, what,
                                      "this model has", "");
  for (NamedTensor& t : named_tensors(with_optimizer))
    f.read_into(t.name, t.tensor, "(was it trained with other --ngf/--ndf?)");
  if (!with_optimizer) return f.metadata();
  step_ = parse_option_int(f.meta("step"), what + ": metadata step");
  opt_.seed = static_cast<uint64_t>(parse_option_int(f.meta("seed"), what + ": metadata seed"));
  dropout_seed_ = derive_seed(opt_.seed, kDropout);
  pool_A_ = ImagePool(opt_.pool_size, derive_seed(opt_.seed, kPoolA), dev_);
  pool_B_ = ImagePool(opt_.pool_size, derive_seed(opt_.seed, kPoolB), dev_);
  pool_A_.load(f, "pool_A");
  pool_B_.load(f, "pool_B");
  return f.metadata();
}

void CycleGAN::set_learning_rate(float lr) {
  adam_g_.lr = lr;
  adam_d_.lr = lr;
}

CycleGAN::Translation CycleGAN::translate(const Tensor& A, const Tensor& B) {
  to_device(A, A_, opt_.g.input_nc, "cycle_gan input A");
  to_device(B, B_, opt_.g.output_nc, "cycle_gan input B");
  // Its own dropout streams, one offset per call, so testing never repeats training's masks.
  auto run = [&](ResnetGenerator& G, const Tensor& x, Forward k, Tensor& out) {
    RandomStreams rng(derive_seed(opt_.seed, kTranslate),
                      (translate_calls_ * kForwardsPerStep + k) * kStreamsPerForward);
    const Tensor& y = G.forward(x, true, rng);
    ensure_buffer(out, y.shape(), dev_);
    out.copy_from(y);
  };
  run(*G_A_, A_, kFakeB, t_fake_B_);
  run(*G_B_, t_fake_B_, kRecA, t_rec_A_);
  run(*G_B_, B_, kFakeA, t_fake_A_);
  run(*G_A_, t_fake_A_, kRecB, t_rec_B_);
  ++translate_calls_;
  return {t_fake_B_, t_rec_A_, t_fake_A_, t_rec_B_};
}

const Tensor& CycleGAN::discriminate_A(const Tensor& x) {
  return D_A_->forward(to_device(x, judge_in_, opt_.g.output_nc, "cycle_gan discriminate_A input"), true);
}

const Tensor& CycleGAN::discriminate_B(const Tensor& x) {
  return D_B_->forward(to_device(x, judge_in_, opt_.g.input_nc, "cycle_gan discriminate_B input"), true);
}

}  // namespace p2p
