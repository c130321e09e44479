// Training health: the numbers that tell whether a GAN is training well, gathered from a model as
// name/value pairs after a step (loss_log.csv's health.<name> columns, every --health-freq steps;
// tools/train_command.cpp). Per network <net> (G, D; G_A, G_B, D_A, D_B; E, Dec):
//
//   <net>.grad_norm        ||g||, the global L2 norm of the network's parameter gradient from this
//                          step's backward (vanishing: -> 0; exploding: grows by orders of magnitude)
//   <net>.update_ratio     ||u|| / ||w||: the size of the step Adam just applied against the size of
//                          the weights after it; around 1e-3 is the usual healthy order, 1e-1 means
//                          the weights are being rewritten, 1e-6 that they are frozen
//   <net>.act.<layer>.mean, .std   mean and standard deviation of the outputs of the network's first,
//                          middle and last layer in its last forward of the step (collapse: std -> 0;
//                          saturation: a tanh output with |mean| -> 1)
//   <D>.p_real, .p_fake    GAN models, D's verdict on the real and the fake batch in the D step (before
//                          D's update): with --gan-mode vanilla the mean of sigmoid(logits), the
//                          probability "real" that the BCE loss reads; with lsgan (whose D regresses its
//                          raw output to 1 and 0 and whose sigmoid means nothing) the raw output's mean,
//                          named <D>.score_real / .score_fake. D winning: p_real -> 1, p_fake -> 0.
//
// Every number comes from the statistics kernels of kernels/stats.h (deterministic reductions,
// double accumulation) into one device buffer, read back with one copy. Nothing here writes to the
// model: watching a step changes no bit of its training. The update norm comes from Adam's m and v
// after the step (adam_update_norm) rather than from a copy of the weights taken before it: no
// extra buffer the size of the model, one read of m and v, and no cancellation in w_new - w_old.
// Cost per watched step: one read of the parameters, gradients and both moments (4 floats per
// parameter) plus the probed activations; bench/bench_health.cpp measures it against a step.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "kernels/adam.h"
#include "nn/params.h"
#include "runtime/tensor.h"

namespace p2p {

using NamedOutputs = std::vector<std::pair<std::string, const Tensor*>>;  // a network's layer outputs, in order

class HealthMonitor {
 public:
  // Declarations, while the model is built, in the order of the columns.
  // The network `name` is the parameters of `store` whose names start with `name` + "." (a contiguous
  // range: the layers declare them together); `adam` is its optimizer's config, read at each gather.
  void add_network(const std::string& name, ParamStore& store, const AdamConfig& adam);
  // The first, middle ((size - 1) / 2) and last of the network's layer outputs, by their names.
  void add_activations(const std::string& net, const NamedOutputs& layers);
  // D's verdict on a batch (see above); returns its id for verdict().
  int add_verdict(const std::string& d, bool real, bool sigmoid);

  std::vector<std::string> names() const;  // "G.grad_norm", ... in declaration order

  // watch(true): the next steps gather (the model calls verdict() in its step only while watching).
  void watch(bool on) { watching_ = on; }
  bool watching() const { return watching_; }
  // In the model's step while watching: the verdict of D's output `logits` (no-op otherwise).
  void verdict(int id, const Tensor& logits);
  // After a watched step with Adam step count t: every value, in names() order (one device sync).
  std::vector<float> gather(int64_t t);

 private:
  struct Network {
    std::string name;
    ParamStore* store;
    const AdamConfig* adam;
    int slot;  // 3 slots: grad norm, update norm, weight norm
  };
  struct Activation {
    std::string name;
    const Tensor* out;
    int slot;  // 2 slots: mean, std
  };
  struct Verdict {
    std::string name;
    bool sigmoid;
    int slot;  // 2 slots: the mean (and, for the raw output, its std, unused)
  };
  Tensor slots(int first, int count, Device dev);  // a view of buffer_, allocated on dev at first use

  std::vector<Network> networks_;
  std::vector<Activation> activations_;
  std::vector<Verdict> verdicts_;
  int num_slots_ = 0;
  Tensor buffer_;  // [num_slots_] on the model's device, allocated at the first use
  bool watching_ = false;
};

}  // namespace p2p
