// What the GAN models (models/pix2pix.h, models/cycle_gan.h) share: the GAN objective on the
// discriminator's logits, and the seeds they derive from one --seed.
//
//   GAN(pred, label) = mean over the logits of BCE with logits against the constant label 1 (real)
//   or 0 (fake) (--gan-mode vanilla), or of the squared error to that label (lsgan), as GANLoss in
//   the official networks.py.
#pragma once
#include <cstdint>
#include <string>

#include "runtime/tensor.h"

namespace p2p {

// "vanilla" | "lsgan"; anything else is an error naming --gan-mode and the value.
void check_gan_mode(const std::string& mode);
// loss: a [1] tensor on pred's device.
void gan_loss(const std::string& mode, const Tensor& pred, bool target_real, Tensor& loss);
// dpred = scale * dGAN/dpred, (re)sized to pred.
void gan_loss_backward(const std::string& mode, const Tensor& pred, bool target_real, float scale, Tensor& dpred);

// splitmix64: independent seeds for each network's initialisation, the dropout masks and the image
// pools, so that no two of them read the same Philox streams.
uint64_t derive_seed(uint64_t seed, uint64_t tag);

}  // namespace p2p
