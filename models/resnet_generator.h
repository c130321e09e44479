// The CycleGAN generator: ResnetGenerator of the official PyTorch code (networks.py, Johnson et al.
// 2016), written out in order. With c = ngf, the sizes for an H x W input (H, W divisible by 4):
//
//   in:        ReflectionPad2d(3) -> Conv(input_nc -> c, 7x7) -> Norm -> ReLU               c x H x W
//   down1:     Conv(c -> 2c, 3x3 s2 p1) -> Norm -> ReLU                                    2c x H/2
//   down2:     Conv(2c -> 4c, 3x3 s2 p1) -> Norm -> ReLU                                   4c x H/4
//   res1..n:   h + block(h), block = ReflectionPad2d(1) -> Conv(4c -> 4c, 3x3) -> Norm -> ReLU
//              [-> Dropout(0.5), only with dropout] -> ReflectionPad2d(1) -> Conv(4c -> 4c, 3x3)
//              -> Norm; no ReLU after the sum (ResnetBlock)                             4c x H/4
//   up1:       ConvT(4c -> 2c, 3x3 s2 p1, output_padding 1) -> Norm -> ReLU                 2c x H/2
//   up2:       ConvT(2c -> c, 3x3 s2 p1, output_padding 1) -> Norm -> ReLU                   c x H
//   out:       ReflectionPad2d(3) -> Conv(c -> output_nc, 7x7, bias) -> Tanh          output_nc x H
// Every conv but the last has a bias only with instance norm (use_bias, as PyTorch); the last always
// has one. resnet_9blocks (n = 9, CycleGAN's default) and resnet_6blocks. Dropout is off by default,
// as CycleGAN's --no_dropout default.
//
// Parameter names, prefix P (default "G"): P.in.conv, P.down<i>.conv, P.res<b>.conv1, P.res<b>.conv2,
// P.up<i>.convt, P.out.conv (".weight", ".bias"), and with batch norm P.in.norm, P.down<i>.norm,
// P.res<b>.norm1 / norm2, P.up<i>.norm (".weight", ".bias", buffers ".running_mean", ".running_var");
// declared in network order (the order of PyTorch's state_dict).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/layers.h"
#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/norm.h"
#include "nn/pad.h"
#include "nn/params.h"
#include "runtime/random.h"

namespace p2p {

struct ResnetOptions {
  int input_nc = 3, output_nc = 3, ngf = 64, n_blocks = 9;  // resnet_9blocks
  NormKind norm = NormKind::instance;
  bool dropout = false;
};

// The options' own checks (blocks >= 0, widths and channels positive); errors name the flag.
void validate(const ResnetOptions& o);

class ResnetGenerator {
 public:
  // Declares the parameters in store (the owner finalizes it before the first forward).
  ResnetGenerator(const ResnetOptions& opts, ParamStore& store, const std::string& prefix = "G");
  // Every convolution such a generator declares, in network order, for an input of h x w
  // (models/layers.h, with each ReflectionPad2d as the conv's reflect_pad); the constructor builds
  // its convolutions from the same list.
  static std::vector<ConvLayer> layers(const ResnetOptions& opts, int h, int w, const std::string& prefix = "G");
  // x: [N, input_nc, H, W], H and W divisible by 4 (and >= 4, so that the 7x7 pads fit); returns
  // [N, output_nc, H, W] in (-1, 1), the model's own buffer (valid until the next forward). Dropout
  // (when on) takes one stream offset per block from rng in training.
  const Tensor& forward(const Tensor& x, bool training, RandomStreams& rng);
  // dy = dL/dout; accumulates (+=) every parameter gradient into the store; dx = dL/dx (written,
  // sized to x) when non-null.
  void backward(const Tensor& dy, Tensor* dx = nullptr);
  std::string summary() const;
  // The last forward's inputs of every ReLU (see UNet::kink_inputs).
  std::vector<const Tensor*> kink_inputs() const;
  // The output of every stage in network order: "in", "down1", "down2", "res1" .. "res<n>" (h +
  // block(h)), "up1", "up2", "out" (the tanh): training health (models/health.h); valid after a
  // forward, until the next.
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const;
  const ResnetOptions& options() const { return opts_; }
  int64_t num_params() const;

 private:
  // [ReflectionPad2d ->] Conv -> [Norm] -> ReLU: the in, down and up stages.
  template <typename ConvT>
  struct Stage {
    std::optional<ReflectionPad2d> pad;
    ConvT conv;
    std::optional<Norm2d> norm;
    ReLU relu;
    Tensor g_relu, g_norm, g_conv, g_in;  // dL/d(relu input), d(norm input), d(conv input), d(stage input)
  };
  template <typename ConvT>
  static const Tensor& stage_forward(Stage<ConvT>& s, const Tensor& x, bool training);
  // Writes dL/d(stage input) into dx when non-null.
  template <typename ConvT>
  static void stage_backward(Stage<ConvT>& s, const Tensor& dy, Tensor* dx);
  struct Block {
    ReflectionPad2d pad1;
    Conv2d conv1;
    std::optional<Norm2d> norm1;
    ReLU relu;
    std::optional<Dropout> dropout;
    ReflectionPad2d pad2;
    Conv2d conv2;
    std::optional<Norm2d> norm2;
    Tensor out;  // h + block(h)
    // dL/d of: conv2's output, pad2's output, pad2's input, the relu's output (with dropout),
    // norm1's output, conv1's output, pad1's output, the block's input.
    Tensor g_norm2, g_pad2, g_mid, g_dropout, g_relu, g_norm1, g_pad1, g_in;
  };

  ResnetOptions opts_;
  std::string prefix_;
  std::vector<Stage<Conv2d>> in_down_;  // in, down1, down2
  std::vector<Block> blocks_;
  std::vector<Stage<ConvTranspose2d>> up_;  // up1, up2
  ReflectionPad2d out_pad_{3};
  std::optional<Conv2d> out_conv_;  // always set after the constructor
  Tanh out_tanh_;
  Tensor g_tanh_, g_out_conv_, g_out_pad_;
};

}  // namespace p2p
