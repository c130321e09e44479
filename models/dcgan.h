// DCGAN as pytorch/examples dcgan/main.py trains it: the networks of models/dcgan_nets.h, Adam
// (lr 2e-4, beta1 0.5) on each, and per step, in the reference's order:
//
//   D step:  D.zero_grad
//            errD_real = BCE(D(x), 1)                 backward; D_x    = mean sigmoid(D(x))
//            fake = G(z), z ~ N(0, 1) [N, nz, 1, 1]
//            errD_fake = BCE(D(fake detached), 0)     backward; D_G_z1 = mean sigmoid(D(fake))
//            errD = errD_real + errD_fake             Adam step on D
//   G step:  G.zero_grad
//            errG = BCE(D(fake), 1)  (D updated, its parameters fixed)  backward through D into G;
//            D_G_z2 = mean sigmoid(D(fake));          Adam step on G
// BCE is BCE with logits on D's logit (kernels/loss.h): the reference's Sigmoid + BCELoss, stable.
// Every forward runs in training mode (batch norm on batch statistics, running ones updated), as the
// reference: D sees three batches per step, G one. The G step reuses the fake of the D step (the
// reference's `fake`), so G runs forward once per step.
//
// The noise of step s is fill_normal(z, 0, 1, noise seed, s) (runtime/random.h): a pure function of
// (--seed, step), so a run resumed at step s draws what the uninterrupted run would have. The batch
// size is the real batch's.
//
// sample() and interpolate() run G in eval mode (batch norm on the running statistics), so that
// drawing pictures never changes the model; the reference shows its fixed noise through G in
// training mode, which would update the running statistics.
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

// Every DCGAN option: the networks' and Adam's option structs whole, with their defaults (main.py's:
// AdamConfig's lr 2e-4 and beta1 0.5 are its too). D takes its channels and image side from g.
struct DCGANOptions {
  DCGANGeneratorOptions g;
  DCGANDiscriminatorOptions d;
  AdamConfig adam;  // one each for G and D, both with these settings
  uint64_t seed = 0;
  int image_size() const { return g.image_size; }
};

// The options' table (models/option_table.h): names, help, roles and limits; nc stays 3 (RGB).
const OptionTable<DCGANOptions>& dcgan_option_table();
// The table's limits, then the networks' and Adam's own checks; errors name the option.
void validate(const DCGANOptions& o);
Metadata dcgan_options_to_metadata(const DCGANOptions& o);
DCGANOptions dcgan_options_from_metadata(const Metadata& m, const std::string& what);

// What main.py prints each step (Loss_D, Loss_G, D(x), D(G(z)) before / after D's update).
struct DCGANLosses {
  float loss_d, loss_g, d_x, d_g_z1, d_g_z2;
};

class DCGAN {
 public:
  static constexpr const char* kFormat = "dcgan-cpp-1";

  DCGAN(const DCGANOptions& opt, Device dev);

  // One step on a batch of real images [N, nc, S, S] in [-1, 1] (any device; copied to the model's).
  DCGANLosses train_step(const Tensor& real);
  // count images G(z), z = prior_noise(count, nz, seed): the same seed gives the same noise whatever
  // the model's step. [count, nc, S, S] in [-1, 1] on the CPU.
  Tensor sample(int count, uint64_t seed);
  // count >= 2 images along the great circle from z(seed_a) to z(seed_b) (spherical interpolation:
  // Gaussian noise lies near a sphere, so the path keeps its norm where a straight line would not).
  Tensor interpolate(uint64_t seed_a, uint64_t seed_b, int count);

  // The trainer's schedule (models/gan.h: linear_lr) sets both optimisers' rate.
  void set_learning_rate(float lr) { adam_g_.lr = adam_d_.lr = lr; }
  int64_t step() const { return step_; }
  const DCGANOptions& options() const { return opt_; }
  Device device() const { return dev_; }
  ParamStore& g_store() { return g_store_; }
  ParamStore& d_store() { return d_store_; }
  // Training health (models/health.h): declared at construction; the trainer watches some steps.
  HealthMonitor& health() { return health_; }
  const HealthMonitor& health() const { return health_; }
  std::string summary() const;

  // Parameters, running statistics and Adam moments of G and D (G.*, D.*, adam_m.*, adam_v.*) with
  // the metadata format, step, seed and model (the options); the caller's extra keys are added.
  void save(const std::string& path, const Metadata& extra);
  // Reads a checkpoint of save(); errors name the file and what differs. Training then continues
  // exactly where it stopped (the noise of step s is a function of the saved seed and s).
  // with_optimizer false: the parameters and running statistics only (sampling).
  Metadata load(const std::string& path, bool with_optimizer = true);

 private:
  Tensor generate_eval(const Tensor& z);

  DCGANOptions opt_;
  Device dev_;
  ParamStore g_store_, d_store_;
  std::unique_ptr<DCGANGenerator> G_;
  std::unique_ptr<DCGANDiscriminator> D_;
  AdamConfig adam_g_, adam_d_;
  uint64_t noise_seed_;
  int64_t step_ = 0;

  Tensor real_, z_;  // the step's batch and noise on the device
  Tensor losses_;    // [3] on the device: errD_real, errD_fake, errG
  Tensor logits_;    // [3 N] on the device: D(x), D(G(z)) before and after D's step
  Tensor dpred_, dfake_, zeval_;
  HealthMonitor health_;  // G, D; their layers; D's verdicts of the D step
  int verdict_real_, verdict_fake_;
};

}  // namespace p2p
