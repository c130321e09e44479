// What the GAN models (models/pix2pix.h, models/cycle_gan.h) share: the GAN objective on the
// discriminator's logits, and the seeds they derive from one --seed.
//
//   GAN(pred, label) = mean over the logits of BCE with logits against the constant label 1 (real)
//   or 0 (fake) (--gan-mode vanilla), or of the squared error to that label (lsgan), as GANLoss in
//   the official networks.py.
#pragma once
#include <cstdint>
#include <string>

#include "models/adam_options.h"
#include "models/option_table.h"
#include "runtime/tensor.h"

namespace p2p {

// loss: a [1] tensor on pred's device.
void gan_loss(const std::string& mode, const Tensor& pred, bool target_real, Tensor& loss);
// dpred = scale * dGAN/dpred, (re)sized to pred.
void gan_loss_backward(const std::string& mode, const Tensor& pred, bool target_real, float scale, Tensor& dpred);

// The official "linear" learning-rate policy, epoch counted from 0: the base rate for `epochs`
// epochs, then a linear decay: lr = base (1 - max(0, epoch + 1 - epochs) / (epochs_decay + 1)).
// The one schedule: the trainer sets it on the model at the start of each epoch.
float linear_lr(float base, int epochs, int epochs_decay, int epoch);

// The options both GAN models have, in one place: the image channels, the generator's width, norm
// and dropout (O::g, a UNetOptions or ResnetOptions), the discriminator's width and depth (O::d, a PatchGANOptions),
// the GAN objective (O::gan_mode) and Adam (O::adam). The defaults are those structs' (and O's), and
// so are the checks of their fields (validate(UNetOptions), ...: a model's validate calls them).
template <class O>
void add_gan_options(OptionTable<O>& t) {
  using R = OptionRole;
  using G = decltype(O::g);
  using D = decltype(O::d);
  // 1 or 3 as the official code's data (RGB, or grey through Grayscale); files older than these two
  // options were RGB.
  t.add("input-nc", {&O::g, &G::input_nc}, "channels of A: `3` (RGB) or `1` (the images are read as grey)", R::model,
        {"1", "3"})
      .implied_when_absent("3");
  t.add("output-nc", {&O::g, &G::output_nc}, "channels of B: `3` (RGB) or `1` (the images are read as grey)", R::model,
        {"1", "3"})
      .implied_when_absent("3");
  t.add("ngf", {&O::g, &G::ngf}, "filters in the first generator layer", R::model);
  t.add("ndf", {&O::d, &D::ndf}, "filters in the first discriminator layer", R::model);
  t.add("n-layers-d", {&O::d, &D::n_layers}, "PatchGAN layers: 3 = 70x70 receptive field, 0 = 1x1 PixelGAN", R::model);
  t.add("norm", {&O::g, &G::norm}, "`batch`, `instance` or `none` (convolutions before a batch norm have no bias)",
        R::model);
  t.add("dropout", {&O::g, &G::dropout}, "dropout 0.5 in the generator (`--no-dropout`: off)", R::model);
  t.add("gan-mode", &O::gan_mode, "`vanilla` (BCE with logits) or `lsgan` (least squares)", R::run,
        {"vanilla", "lsgan"});
  add_adam_options(t, "Adam's initial learning rate (one optimiser per network or pair)");
}

// splitmix64: independent seeds for each network's initialisation, the dropout masks and the image
// pools, so that no two of them read the same Philox streams.
uint64_t derive_seed(uint64_t seed, uint64_t tag);

}  // namespace p2p
