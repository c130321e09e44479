// CycleGAN (Zhu et al. 2017): two ResNet generators G_A: A -> B and G_B: B -> A and two PatchGAN
// discriminators D_A (judges domain B) and D_B (judges domain A), trained on unpaired images, with
// the objective and schedule of the official code (cycle_gan_model.py, optimize_parameters):
//
//   fake_B = G_A(A), rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A)
//   G step (D_A, D_B frozen: no parameter gradients), one Adam over G_A's and G_B's parameters:
//     loss_G_A = GAN(D_A(fake_B), 1)          loss_G_B = GAN(D_B(fake_A), 1)
//     loss_cycle_A = lambda_A |rec_A - A|      loss_cycle_B = lambda_B |rec_B - B|      (means)
//     loss_idt_A = lambda_idt lambda_B |G_A(B) - B|,  loss_idt_B = lambda_idt lambda_A |G_B(A) - A|
//     loss_G = the sum of these six
//   D step, one Adam over D_A's and D_B's parameters (fakes detached, from the forward above, i.e.
//   made before the G update, each through its image pool):
//     loss_D_A = 0.5 (GAN(D_A(B), 1) + GAN(D_A(pool_A(fake_B)), 0))
//     loss_D_B = 0.5 (GAN(D_B(A), 1) + GAN(D_B(pool_B(fake_A)), 0))
//
// Order of the G step. Each network holds the activations of its last forward only, and each
// generator is used three times, so PyTorch's one joint backward is split into forward+backward pairs
// whose gradient contributions add up to the same sums:
//   1. fake_B = G_A(A)            kept (a copy)
//   2. rec_A = G_B(fake_B)        backward of cycle_A: G_B's parameter gradients, and dfake_B = the
//                                 cycle share of dL/dfake_B
//   3. fake_A = G_B(B)            kept
//   4. rec_B = G_A(fake_A)        backward of cycle_B: G_A's gradients, dfake_A = cycle share
//   5. idt_A = G_A(B), backward; idt_B = G_B(A), backward      (their own terms only)
//   6. D_A(fake_B), D_B(fake_A)   backward to the images only: dfake_B += GAN share, dfake_A += ...
//   7. G_A(A) again, backward of dfake_B; G_B(B) again, backward of dfake_A
// Every parameter then holds sum over its network's uses of (the use's vector-Jacobian product with
// the complete upstream gradient of that use's output), which is exactly what autograd accumulates;
// only the float summation order differs. Step 7 recomputes the forwards of steps 1 and 3 with the
// same parameters, inputs and dropout streams, so its activations are the same bits. That
// recomputation is why batch norm is refused: its running statistics would see one update too many.
//
// The networks run in training mode (instance norm uses per-image statistics either way). Dropout
// (off by default, as CycleGAN's --no_dropout) draws forward k of step s from stream offset
// (s * kForwardsPerStep + k) * kStreamsPerForward of the dropout seed, so step 7 repeats steps 1 and
// 3 exactly and a resumed run draws what the uninterrupted one would have.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/adam.h"
#include "models/health.h"
#include "models/image_pool.h"
#include "models/option_table.h"
#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "nn/norm.h"
#include "nn/params.h"
#include "runtime/safetensors.h"

namespace p2p {

// Every CycleGAN option: the generators', the discriminators' and Adam's option structs whole (their
// defaults are the official train defaults for cycle_gan: resnet_9blocks, instance norm, no dropout,
// the basic D), and the model's own. g describes G_A (A -> B; G_B swaps the channel counts); D_A and
// D_B take their input channels (the domain each judges) and their norm from g.
struct CycleGANOptions {
  ResnetOptions g;
  PatchGANOptions d;
  AdamConfig adam;  // one over both generators, one over both discriminators
  std::string gan_mode = "lsgan";
  float lambda_A = 10.0f, lambda_B = 10.0f, lambda_identity = 0.5f;
  int pool_size = 50;
  uint64_t seed = 0;
};

// The command line's description of each option (models/option_table.h).
const OptionTable<CycleGANOptions>& cycle_gan_option_table();
// The table's choices and limits, what this CycleGAN supports (no batch norm, equal channel counts
// for the identity loss), then the checks of the generators', discriminators' and Adam's options;
// errors name the option.
void validate(const CycleGANOptions& o);
// The model options as metadata (the table's names, plus seed) and back; errors name `what`.
Metadata cycle_gan_options_to_metadata(const CycleGANOptions& o);
CycleGANOptions cycle_gan_options_from_metadata(const Metadata& m, const std::string& what);

// The eight losses the official code logs, each as it enters loss_G / loss_D (lambdas applied).
struct CycleLosses {
  float D_A, G_A, cycle_A, idt_A, D_B, G_B, cycle_B, idt_B;
};

class CycleGAN {
 public:
  static constexpr uint64_t kForwardsPerStep = 8, kStreamsPerForward = 64;  // dropout stream offsets
  static constexpr const char* kFormat = "cyclegan-cpp-1";                  // "format" in the checkpoint

  CycleGAN(const CycleGANOptions& opt, Device dev);

  // One optimisation step on unpaired batches A [N, input_nc, H, W] and B [N, output_nc, H, W] (any
  // device; copied to the model's).
  CycleLosses train_step(const Tensor& A, const Tensor& B);

  // Both generators' translations of one image each way, for testing: fake_B = G_A(A),
  // rec_A = G_B(fake_B), fake_A = G_B(B), rec_B = G_A(fake_A), in training mode (instance norm
  // uses per-image statistics either way), dropout from a stream apart from training's. The tensors
  // are the model's buffers, valid until the next call.
  struct Translation {
    const Tensor &fake_B, &rec_A, &fake_A, &rec_B;
  };
  Translation translate(const Tensor& A, const Tensor& B);

  // D_A's raw output [N, 1, h, w] on images x of domain B (is x a real B?), or D_B's on images of
  // domain A, in training mode as train_step runs them; x on any device. The training report's maps
  // (tools/training_report.h). The discriminator's buffer, valid until its next forward.
  const Tensor& discriminate_A(const Tensor& x);
  const Tensor& discriminate_B(const Tensor& x);

  // Adam's learning rate for both optimizers (the trainer's schedule sets it each epoch).
  void set_learning_rate(float lr);

  // The last train_step's images on the model's device.
  const Tensor& real_A() const { return A_; }
  const Tensor& real_B() const { return B_; }
  const Tensor& fake_B() const { return fake_B_; }
  const Tensor& fake_A() const { return fake_A_; }

  int64_t step() const { return step_; }
  const CycleGANOptions& options() const { return opt_; }
  ParamStore& g_store() { return g_store_; }  // G_A then G_B
  ParamStore& d_store() { return d_store_; }  // D_A then D_B
  // Training health (models/health.h): declared at construction; the trainer watches some steps.
  HealthMonitor& health() { return health_; }
  const HealthMonitor& health() const { return health_; }
  std::string summary() const;

  // Every parameter, Adam moment and both image pools, plus the metadata (format, step, seed, the
  // model options; the caller's extra keys added), atomically. Tensor names: the parameter names
  // (G_A.*, G_B.*, D_A.*, D_B.*), adam_m.<name>, adam_v.<name>, pool_A.images, pool_B.images.
  void save(const std::string& path, const Metadata& extra);
  // Loads a checkpoint written by save() (errors name the file: another format, e.g. a pix2pix
  // checkpoint, or another architecture); training continues exactly where it stopped.
  // with_optimizer false (testing) loads the parameters only.
  Metadata load(const std::string& path, bool with_optimizer = true);

 private:
  const Tensor& to_device(const Tensor& src, Tensor& buf, int channels, const char* what);
  RandomStreams streams(uint64_t forward) const;
  std::vector<NamedTensor> named_tensors(bool with_optimizer);

  CycleGANOptions opt_;
  Device dev_;
  ParamStore g_store_, d_store_;
  std::unique_ptr<ResnetGenerator> G_A_, G_B_;
  std::unique_ptr<PatchGAN> D_A_, D_B_;
  ImagePool pool_A_, pool_B_;  // fake_B's history (for D_A) and fake_A's (for D_B), as the official names
  AdamConfig adam_g_, adam_d_;
  uint64_t dropout_seed_;
  int64_t step_ = 0;

  Tensor A_, B_, fake_B_, fake_A_;  // the inputs and the kept fakes, on the device
  Tensor losses_;                   // [10] on the device: the ten loss terms, unscaled
  Tensor dpred_, dimg_, dfake_A_, dfake_B_;
  Tensor t_fake_B_, t_rec_A_, t_fake_A_, t_rec_B_;  // translate()'s outputs
  // The four networks (G_A, G_B: ranges of g_store_; D_A, D_B of d_store_), their layers, and each D's
  // verdicts in the D step: verdict_[d][0] on its real domain, [d][1] on the pooled fakes it trains on.
  HealthMonitor health_;
  int verdict_[2][2];
  uint64_t translate_calls_ = 0;
  Tensor judge_in_;  // discriminate_*()'s input on the device
};

}  // namespace p2p
