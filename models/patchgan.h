// The pix2pix discriminator: NLayerDiscriminator / PixelDiscriminator of the official PyTorch code
// (networks.py), as a list of stages, each Conv -> [Norm] -> [LeakyReLU(0.2)]:
//
//   n_layers >= 1 (PatchGAN; n_layers 3 is the 70x70 PatchGAN: 30x30 logits for 256x256 input),
//   with nf(n) = ndf * min(2^n, 8):
//     conv0: Conv(input_nc -> ndf, k4 s2 p1, bias)                         -> LeakyReLU
//     conv<n>, n = 1..n_layers-1: Conv(nf(n-1) -> nf(n), k4 s2 p1) -> Norm  -> LeakyReLU
//     conv<n_layers>: Conv(nf(n_layers-1) -> nf(n_layers), k4 s1 p1) -> Norm -> LeakyReLU
//     conv<n_layers+1>: Conv(nf(n_layers) -> 1, k4 s1 p1, bias)             (the logits)
//   n_layers 0 (PixelGAN, 1x1 convolutions, logits at every pixel):
//     conv0: Conv(input_nc -> ndf, k1 s1 p0, bias) -> LeakyReLU
//     conv1: Conv(ndf -> 2 ndf, k1 s1 p0) -> Norm -> LeakyReLU
//     conv2: Conv(2 ndf -> 1, k1 s1 p0)
// Convs without "bias" above have one only with instance norm (use_bias), as in PyTorch.
//
// Parameter names, prefix P (default "D"): P.conv<n>.weight[/.bias], P.norm<n>.{weight,bias}
// (batch norm) with buffers P.norm<n>.running_mean / .running_var; declared in network order.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "models/conv_stack.h"
#include "models/layers.h"
#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/norm.h"
#include "nn/params.h"

namespace p2p {

struct PatchGANOptions {
  int input_nc = 6, ndf = 64, n_layers = 3;
  NormKind norm = NormKind::batch;
};

// The options' own checks (0..8 layers, widths and channels positive); errors name the flag.
void validate(const PatchGANOptions& o);

class PatchGAN {
 public:
  PatchGAN(const PatchGANOptions& opts, ParamStore& store, const std::string& prefix = "D");
  // Every convolution such a PatchGAN declares, in network order, for an input of h x w
  // (models/layers.h); the constructor builds its stages from the same list.
  static std::vector<ConvLayer> layers(const PatchGANOptions& opts, int h, int w, const std::string& prefix = "D");
  // x: [N, input_nc, H, W]; returns the logits [N, 1, h, w], the model's own buffer (valid until
  // the next forward).
  const Tensor& forward(const Tensor& x, bool training);
  // dy = dL/dlogits. dx (written, sized to x) when non-null. Parameter gradients accumulated (+=)
  // only when param_grads; when false the weight-gradient kernels are skipped entirely (the
  // generator step needs only dx).
  void backward(const Tensor& dy, Tensor* dx, bool param_grads);
  std::string summary() const;
  // The last forward's inputs of every LeakyReLU (see UNet::kink_inputs).
  std::vector<const Tensor*> kink_inputs() const;
  // Each stage's output, "conv0" .. "conv<n_layers + 1>" (the logits) (ConvStack::layer_outputs).
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const { return stack_.layer_outputs(); }
  const PatchGANOptions& options() const { return opts_; }
  int64_t num_params() const;

 private:
  PatchGANOptions opts_;
  std::string prefix_;
  ConvStack stack_;
};

}  // namespace p2p
