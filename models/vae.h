// A convolutional variational autoencoder (Kingma & Welling 2014) on the DCGAN networks
// (models/dcgan_nets.h):
//
//   encoder E: the DCGAN discriminator with 2L outputs: stats = E(x) [N, 2L, 1, 1], image n's
//              mean mu at channels [0, L) and log-variance lv at [L, 2L)
//   z = mu + exp(lv / 2) eps,  eps ~ N(0, 1) [N, L, 1, 1]                (kernels/vae.h: reparameterize)
//   decoder: the DCGAN generator with nz = L: x' = Dec(z), through tanh for --recon mse, as logits
//            for --recon bce
//   loss = R(x', x) + beta KL(N(mu, sigma^2) || N(0, 1)), each summed over an image and averaged
//          over the batch (kernels/vae.h):
//     R = sum (x' - x)^2 (mse, in the network's [-1, 1]) or sum BCE(x', (x + 1) / 2) (bce: the pixels
//         read as probabilities in [0, 1])
//     KL = -1/2 sum_j (1 + lv_j - mu_j^2 - exp(lv_j))
// The two heads are one 4x4 convolution with 2L outputs over the encoder's last 4x4 map: the same
// parameters and outputs as two separate 4x4 convolutions (a mu head and a log-variance head, each
// L outputs, each a fully connected layer over the flattened 4x4 map), with no linear-layer op to add.
//
// One step: E forward, reparameterize, Dec forward, R and KL; backward R into Dec, then through
// the reparameterisation, plus beta dKL, into E; one Adam over both networks' parameters (one store:
// E.*, then Dec.*). Training mode throughout (batch norm on batch statistics). eps of step s is
// fill_normal(eps, 0, 1, eps seed, s), a pure function of (--seed, s), so a resumed run is exact.
// There is no reference implementation to copy the optimiser from: Adam with its usual defaults
// (lr 1e-3, betas 0.9, 0.999).
//
// reconstruct(), sample() and interpolate() run in eval mode (batch norm on running statistics) and
// return images in [-1, 1] on the CPU (for bce, 2 sigmoid(x') - 1 = tanh(x' / 2)); reconstruct()
// decodes mu itself (z = mu: reparameterize with eps = 0), the usual deterministic reconstruction.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/adam.h"
#include "models/dcgan_nets.h"
#include "models/health.h"
#include "models/option_table.h"
#include "nn/params.h"
#include "runtime/safetensors.h"

namespace p2p {

// Every VAE option: the model's own (latent, recon, beta), the networks' and Adam's option structs
// whole. The encoder takes its channels and image side from dec, its 2 latent outputs from latent;
// the decoder's nz is latent, its tanh is --recon mse's.
struct VAEOptions {
  int latent = 128;
  std::string recon = "mse";  // mse | bce
  float beta = 1.0f;          // the KL's weight
  DCGANDiscriminatorOptions enc;
  DCGANGeneratorOptions dec;
  AdamConfig adam{1e-3f, 0.9f};  // no reference code to copy: Adam's usual lr and beta1
  uint64_t seed = 0;
  int image_size() const { return dec.image_size; }
};

// The options' table (models/option_table.h): names, help, roles and limits; nc stays 3 (RGB).
const OptionTable<VAEOptions>& vae_option_table();
// The table's choices and limits, then the networks' and Adam's own checks; errors name the option.
void validate(const VAEOptions& o);
Metadata vae_options_to_metadata(const VAEOptions& o);
VAEOptions vae_options_from_metadata(const Metadata& m, const std::string& what);

struct VAELosses {
  float recon, kl, total;  // total = recon + beta kl
};

class VAE {
 public:
  static constexpr const char* kFormat = "vae-cpp-1";

  VAE(const VAEOptions& opt, Device dev);

  // One step on images [N, nc, S, S] in [-1, 1] (any device; copied to the model's).
  VAELosses train_step(const Tensor& x);
  // The reconstruction term R of decode(mu(x)) against x, in eval mode: the held-out error.
  float reconstruction_error(const Tensor& x);
  Tensor reconstruct(const Tensor& x);
  // count decodes of z = prior_noise(count, latent, seed).
  Tensor sample(int count, uint64_t seed);
  // count >= 2 decodes along the straight line from z(seed_a) to z(seed_b), and from mu(a) to mu(b)
  // for two images a, b [1, nc, S, S].
  Tensor interpolate(uint64_t seed_a, uint64_t seed_b, int count);
  Tensor interpolate_images(const Tensor& a, const Tensor& b, int count);

  void set_learning_rate(float lr) { adam_.lr = lr; }  // the trainer's schedule (models/gan.h)
  int64_t step() const { return step_; }
  const VAEOptions& options() const { return opt_; }
  ParamStore& store() { return store_; }
  // Training health (models/health.h): declared at construction; the trainer watches some steps.
  HealthMonitor& health() { return health_; }
  const HealthMonitor& health() const { return health_; }
  std::string summary() const;

  // Parameters, running statistics and Adam moments (E.*, Dec.*, adam_m.*, adam_v.*) with the
  // metadata format, step, seed and model; the caller's extra keys added.
  void save(const std::string& path, const Metadata& extra);
  // Reads a checkpoint of save(); errors name the file and what differs; training continues exactly.
  // with_optimizer false: the parameters and running statistics only (sampling).
  Metadata load(const std::string& path, bool with_optimizer = true);

 private:
  const Tensor& to_device(const Tensor& x, Tensor& buf);
  const Tensor& encode_mu(const Tensor& x);  // z = mu in eval mode, into z_
  Tensor decode_eval(const Tensor& z);       // images on the CPU
  Tensor lerp(const std::vector<float>& a, const std::vector<float>& b, int count) const;

  VAEOptions opt_;
  Device dev_;
  ParamStore store_;
  std::unique_ptr<DCGANDiscriminator> E_;
  std::unique_ptr<DCGANGenerator> Dec_;
  AdamConfig adam_;
  uint64_t eps_seed_;
  int64_t step_ = 0;

  Tensor x_, eps_, z_, losses_;  // losses_: [2] on the device, R and KL
  Tensor dxr_, dz_, dstats_, dkl_, zeval_;
  HealthMonitor health_;  // E and Dec (one optimizer, two ranges of its store) and their layers
};

}  // namespace p2p
