// The pix2pix generator: UnetGenerator of the official PyTorch code (networks.py), written out
// level by level. Level 1 is the outermost, level D = num_downs the innermost; with
//   inner(i) = ngf * min(2^(i-1), 8),  outer(i) = inner(i-1) (outer(1) = input_nc / output_nc),
// spatial size halving at each down conv and doubling at each up conv:
//
//   down1: Conv(input_nc -> ngf)                                               d1 = conv(x)
//   down i = 2..D:  LeakyReLU(0.2) -> Conv(outer(i) -> inner(i)) -> Norm       a_i = lrelu(d_{i-1})
//                   (no Norm at the innermost level D)                          d_i = norm(conv(a_i))
//   up D:           ReLU -> ConvT(inner(D) -> outer(D)) -> Norm                 u_D = up(d_D)
//   up i = D-1..2:  ReLU -> ConvT(2 inner(i) -> outer(i)) -> Norm -> Dropout(0.5) on levels 5..D-1
//                   only (when dropout is on)                                   u_i = up(cat_{i+1})
//                   then the skip connection                                    cat_i = cat(a_i, u_i)
//   up1:            ReLU -> ConvT(2 ngf -> output_nc, bias) -> Tanh             out = tanh(convt(relu(cat_2)))
// Every conv is 4x4, stride 2, padding 1. Conv biases exist only with instance norm (use_bias),
// except the outermost up conv, which always has one.
// PyTorch quirk kept on purpose: the down LeakyReLU is in-place, so the skip that is concatenated is
// a_i = lrelu(d_{i-1}), not d_{i-1}; the gradient reaching d_{i-1} is lrelu'(d_{i-1}) * (the skip's
// share of dcat_i + the down path's gradient).
// PyTorch builds at least 5 levels whatever num_downs says (range(num_downs - 5) is empty below 5);
// here num_downs < 5 is rejected instead. unet_256 = 8 levels, unet_128 = 7.
//
// Parameter names (checkpoint tensor names), prefix P (default "G"):
//   P.down1.conv.weight, P.down<i>.conv.weight[/.bias], P.down<i>.norm.{weight,bias} (batch norm),
//   P.up<i>.convt.weight[/.bias], P.up<i>.norm.{weight,bias}, P.up1.convt.{weight,bias};
//   buffers P.down<i>.norm.running_mean / .running_var, P.up<i>.norm.running_mean / .running_var.
// Declared in the order down1, down2, ..., downD, upD, ..., up1 (PyTorch's state_dict order).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/layers.h"
#include "nn/activation.h"
#include "nn/concat.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/norm.h"
#include "nn/params.h"
#include "runtime/random.h"

namespace p2p {

struct UNetOptions {
  int input_nc = 3, output_nc = 3, num_downs = 8, ngf = 64;
  NormKind norm = NormKind::batch;
  bool dropout = true;
};

// The options' own checks (levels 5..12, widths and channels positive); errors name the flag.
void validate(const UNetOptions& o);

class UNet {
 public:
  // Declares the parameters in store (the owner finalizes it before the first forward).
  UNet(const UNetOptions& opts, ParamStore& store, const std::string& prefix = "G");
  // Every convolution such a UNet declares, in declaration order (down1..downD, upD..up1), for an
  // input of h x w (models/layers.h); the constructor builds its convolutions from the same list.
  static std::vector<ConvLayer> layers(const UNetOptions& opts, int h, int w, const std::string& prefix = "G");
  // x: [N, input_nc, H, W], H and W divisible by 2^num_downs; returns [N, output_nc, H, W] in
  // (-1, 1), the model's own buffer (valid until the next forward). Dropout draws one stream
  // offset per dropout layer from rng (training only).
  const Tensor& forward(const Tensor& x, bool training, RandomStreams& rng);
  // dy = dL/dout; accumulates (+=) every parameter gradient into the store; dx = dL/dx (written,
  // sized to x) when non-null (the trainer does not need it; the tests check it).
  void backward(const Tensor& dy, Tensor* dx = nullptr);
  // One line per layer in network order: name, output shape of the last forward, parameter count.
  std::string summary() const;
  // The last forward's inputs of every ReLU and LeakyReLU: their signs decide the backward's masks
  // (tests comparing two backends check that no element lies on different sides of 0 in the two).
  std::vector<const Tensor*> kink_inputs() const;
  // The output of every level in network order (down1..downD: after the norm; upD..up2: after the
  // norm, before dropout and the skip; up1: the tanh), named without the prefix (training health,
  // models/health.h): valid after a forward, until the next.
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const;
  const UNetOptions& options() const { return opts_; }
  int64_t num_params() const;

 private:
  struct Down {       // levels 2..D
    LeakyReLU lrelu;  // its output a_i is also the skip connection
    Conv2d conv;
    std::optional<Norm2d> norm;  // absent at the innermost level and with --norm none
    Tensor g_d;                  // dL/dd_i (this level's output)
    Tensor g_conv, g_a;          // dL/d(conv output), dL/da_i
  };
  struct Up {  // levels 2..D
    ReLU relu;
    ConvTranspose2d convt;
    std::optional<Norm2d> norm;
    std::optional<Dropout> dropout;
    Concat cat;                // cat_i = cat(a_i, u_i)
    Tensor g_cat;              // dL/dcat_i
    Tensor g_skip, g_u;        // its two halves: dL/da_i through the skip, dL/du_i
    Tensor g_dropout, g_norm;  // dL/d(dropout input), dL/d(norm input)
    Tensor g_convt;            // dL/d(relu output)
  };

  UNetOptions opts_;
  std::string prefix_;
  // The outermost level's layers are optional only so that the constructor can declare every
  // parameter in network order; they always exist after it.
  std::optional<Conv2d> down1_conv_;
  std::vector<Down> down_;  // down_[i - 2] is level i
  std::vector<Up> up_;      // up_[i - 2] is level i
  ReLU up1_relu_;
  std::optional<ConvTranspose2d> up1_convt_;
  Tanh up1_tanh_;
  Tensor g_tanh_, g_up1_relu_, g_d1_;
};

}  // namespace p2p
