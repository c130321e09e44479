// Pix2Pix (Isola et al. 2017): a U-Net generator G and a PatchGAN discriminator D trained together on
// aligned pairs (A, B), with the objective and schedule of the official code (pix2pix_model.py):
//
//   fake_B = G(A)
//   D step:  loss_D_fake = GAN(D(cat(A, fake_B)), false)      (fake_B detached: no gradient into G)
//            loss_D_real = GAN(D(cat(A, B)), true)
//            loss_D      = 0.5 (loss_D_fake + loss_D_real)      -> Adam step on D's parameters
//   G step:  loss_G_GAN  = GAN(D(cat(A, fake_B)), true)         (D already updated; its parameters fixed)
//            loss_G_L1   = lambda_L1 * mean |fake_B - B|
//            loss_G      = loss_G_GAN + loss_G_L1                -> Adam step on G's parameters
//
// GAN(pred, target) is BCE with logits against a constant label 1 or 0 (--gan-mode vanilla) or the
// squared error to that label (lsgan), each a mean over the patch logits (models/gan.h). Every forward runs D in
// training mode (batch norm uses the batch statistics and updates the running ones, three times per
// step, as in the official code). D's two halves are run forward then backward one after the other
// (each backward needs that forward's saved activations); since D does not change between them, the
// accumulated parameter gradients equal those of PyTorch's joint backward.
//
// Gradients are zeroed (ParamStore::zero_grad) right before each network's backward pass: D's
// before its fake half, G's before its backward. Adam runs once per network per step over the flat
// parameter buffer, with step count t = step() + 1 for both.
//
// Dropout masks of step s come from RandomStreams(dropout seed, s * kStreamsPerStep) with the dropout
// seed derived from the --seed, so a run resumed at step s draws the masks the uninterrupted run
// would have. All buffers are owned here or by the layers and reused: after the first step with a
// given batch shape, a step allocates no device memory.
//
// On CUDA the step is one CUDA graph (runtime/step_graph.h; set_graph(false) turns it off): the
// first step of a batch shape runs ungraphed and allocates every buffer, the next is captured (from
// after the input copy to before the loss read-back) and launched, later ones copy their inputs and
// launch it. Nothing of the step is baked into the graph: Adam's t and lr live in device memory
// (AdamDeviceState, shared by G's and D's Adam: they have the same t and lr) and the step count is
// advanced there at the end of each step; the dropout offsets are that count * kStreamsPerStep plus
// the layer's index, read by the kernels. A watched step (health) runs ungraphed, on the same
// kernels and buffers, so graphed and ungraphed steps agree bit for bit.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/adam.h"
#include "models/health.h"
#include "models/option_table.h"
#include "models/patchgan.h"
#include "models/unet.h"
#include "nn/concat.h"
#include "nn/norm.h"
#include "nn/params.h"
#include "runtime/safetensors.h"
#include "runtime/step_graph.h"

namespace p2p {

// Every pix2pix option: the generator's, the discriminator's and Adam's option structs whole (their
// defaults are the official train defaults for pix2pix, written once, in those structs), and the
// model's own. pix2pix_option_table() describes each for the command line, opt.txt, the checkpoint
// and the README. D takes its input channels (A and B concatenated) and its norm from g.
struct Pix2PixOptions {
  UNetOptions g;
  PatchGANOptions d;
  AdamConfig adam;                   // one each for G and D, both with these settings
  std::string netG;                  // unet_256 | unet_128: sets num_downs to 8 | 7; empty = from num_downs
  std::string gan_mode = "vanilla";  // vanilla | lsgan
  float lambda_l1 = 100.0f;
  uint64_t seed = 0;  // not in the table: the trainer's --seed
};

const OptionTable<Pix2PixOptions>& pix2pix_option_table();
// The table's choices and limits, --netG resolved into num_downs (an explicit other --num-downs is an
// error), then the checks of the generator's, the discriminator's and Adam's options (each beside its
// struct); errors name the option.
void validate(Pix2PixOptions& o);

// The model options as metadata (the table's names, plus seed) and back; errors name `what`.
Metadata pix2pix_options_to_metadata(const Pix2PixOptions& o);
Pix2PixOptions pix2pix_options_from_metadata(const Metadata& m, const std::string& what);

struct StepLosses {
  float g_gan, g_l1, d_real, d_fake;  // g_l1 already multiplied by lambda_L1, as the official log shows
};

class Pix2Pix {
 public:
  // Stream offsets reserved for one step's dropout layers (the U-Net has at most a handful).
  static constexpr uint64_t kStreamsPerStep = 64;
  // The checkpoint format written by save() ("format" in the metadata).
  static constexpr const char* kFormat = "pix2pix-cpp-2";

  Pix2Pix(const Pix2PixOptions& opt, Device dev);

  // One optimisation step on a batch (A, B: [N, C, H, W], any device; copied to the model's device).
  StepLosses train_step(const Tensor& A, const Tensor& B);
  // G(A): training-mode norm and dropout as the paper's test (eval false), or eval mode (eval true).
  // The output is G's buffer, valid until the next forward.
  const Tensor& generate(const Tensor& A, bool eval);

  // D's raw output [N, 1, h, w] on the pair cat(A, B) (any device; copied to the model's), in training
  // mode as train_step runs it (batch norm on this batch's statistics, updating the running ones).
  // The training report's maps (tools/training_report.h). D's buffer, valid until its next forward.
  const Tensor& discriminate(const Tensor& A, const Tensor& B);

  // Adam's learning rate for both networks (the trainer's schedule sets it each epoch).
  void set_learning_rate(float lr);
  // CUDA graphs for the steps on CUDA (on by default; no effect on the CPU), and how the last step ran.
  void set_graph(bool on) { graph_on_ = on; }
  StepGraph::Mode last_step_mode() const { return last_step_mode_; }
  float current_learning_rate() const { return adam_g_.lr; }

  int64_t step() const { return step_; }  // optimisation steps done
  const Pix2PixOptions& options() const { return opt_; }
  Device device() const { return dev_; }

  // The last training step's images on the model's device: A, G(A), B.
  const Tensor& real_A() const { return A_; }
  const Tensor& fake_B() const { return *fake_B_; }  // or the last generate()'s output
  const Tensor& real_B() const { return B_; }

  const UNet& generator() const { return *G_; }
  const PatchGAN& discriminator() const { return *D_; }
  ParamStore& g_store() { return g_store_; }
  ParamStore& d_store() { return d_store_; }
  // Training health (models/health.h): declared at construction; the trainer watches some steps.
  HealthMonitor& health() { return health_; }
  const HealthMonitor& health() const { return health_; }
  std::string summary() const;

  // Writes every parameter, running statistic and Adam moment plus the metadata (ours: format, step,
  // seed, model options; the caller's extra keys are added) atomically. Tensor names:
  //   <param name>          G.* / D.* parameters, as the layers name them (e.g. G.down1.conv.weight)
  //   <buffer name>         running statistics (e.g. G.down2.norm.running_mean)
  //   adam_m.<param name>   Adam first moment of that parameter
  //   adam_v.<param name>   Adam second moment
  void save(const std::string& path, const Metadata& extra);
  // Loads a checkpoint written by save() into this model (which must have the same architecture:
  // errors name the file and the differing option). with_optimizer false skips the Adam moments
  // and the step count (for inference); with them, the saved seed's dropout streams continue.
  // Returns the file's metadata.
  Metadata load(const std::string& path, bool with_optimizer = true);

 private:
  const Tensor& to_device(const Tensor& src, Tensor& buf);
  void run_step();  // the step on A_ and B_, from G's forward to both Adam updates (what a graph holds)
  void adam(ParamStore& store, const AdamConfig& cfg);
  std::vector<NamedTensor> named_tensors(bool with_optimizer);  // views into the stores

  Pix2PixOptions opt_;
  Device dev_;
  ParamStore g_store_, d_store_;
  std::unique_ptr<UNet> G_;
  std::unique_ptr<PatchGAN> D_;
  AdamConfig adam_g_, adam_d_;
  uint64_t dropout_seed_, generate_seed_;
  int64_t step_ = 0;
  uint64_t generate_calls_ = 0;
  std::unique_ptr<AdamDeviceState> adam_state_;  // CUDA: step_ and the learning rate on the device
  StepGraph graph_;
  bool graph_on_ = true;
  StepGraph::Mode last_step_mode_ = StepGraph::Mode::ungraphed;

  Tensor A_, B_, gen_in_;                // inputs on the device
  const Tensor* fake_B_ = nullptr;       // G's output buffer
  const Tensor* step_fake_B_ = nullptr;  // the same, as the training step wrote it
  Concat cat_fake_, cat_real_;
  Tensor judge_A_, judge_B_;  // discriminate()'s inputs on the device, and their pair
  Concat cat_judge_;
  Tensor losses_;  // [4] on the device: g_gan, g_l1 (unscaled), d_real, d_fake
  Tensor dpred_, dcat_, dfake_, dl1_;
  // G, D (gradient and update), G's and D's layers, D's verdicts on the real and fake pairs of the D step.
  HealthMonitor health_;
  int verdict_real_, verdict_fake_;
};

}  // namespace p2p
