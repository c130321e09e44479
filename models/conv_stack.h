// A chain of stages Conv -> [Norm] -> [LeakyReLU], the shape of every discriminator here: the
// PatchGAN (models/patchgan.h), the DCGAN discriminator and the VAE's encoder (models/dcgan_nets.h).
// The owner declares the layers in network order; the stack runs them and their backward.
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/norm.h"

namespace p2p {

class ConvStack {
 public:
  void add(Conv2d conv, std::optional<Norm2d> norm, std::optional<LeakyReLU> lrelu);
  // The last stage's output, its own buffer (valid until the next forward).
  const Tensor& forward(const Tensor& x, bool training);
  // dy = dL/d(output). dx (written, sized to x) when non-null. Parameter gradients accumulated (+=)
  // only when param_grads; when false the weight-gradient kernels are skipped entirely.
  void backward(const Tensor& dy, Tensor* dx, bool param_grads);
  int64_t num_params() const;
  // One summary row per layer (nn/summary.h), the LeakyReLUs named <prefix>.lrelu<stage>.
  void summary(std::ostream& os, const std::string& prefix) const;
  // The last forward's inputs of every LeakyReLU (see UNet::kink_inputs).
  std::vector<const Tensor*> kink_inputs() const;
  // Each stage's output (after its LeakyReLU, norm or conv), named by its conv without the prefix
  // ("conv0", ...): training health (models/health.h); valid after a forward, until the next.
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const;

 private:
  struct Stage {
    Conv2d conv;
    std::optional<Norm2d> norm;
    std::optional<LeakyReLU> lrelu;
    Tensor g_lrelu, g_norm;  // dL/d(lrelu input), dL/d(norm input)
    Tensor g_in;             // dL/d(stage input), for every stage but the first
  };
  std::vector<Stage> stages_;
};

}  // namespace p2p
