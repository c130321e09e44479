// The DCGAN networks of pytorch/examples dcgan/main.py (Radford et al. 2016), written out in order,
// and reused by the convolutional VAE (models/vae.h) as its decoder and encoder. For the reference
// 64x64 images, with no biases anywhere:
//
//   Generator, z [N, nz, 1, 1] -> image [N, nc, 64, 64]:
//     convt0: ConvT(nz -> 8 ngf, k4 s1 p0)     -> BN -> ReLU      4x4
//     convt1: ConvT(8 ngf -> 4 ngf, k4 s2 p1)  -> BN -> ReLU      8x8
//     convt2: ConvT(4 ngf -> 2 ngf, k4 s2 p1)  -> BN -> ReLU      16x16
//     convt3: ConvT(2 ngf -> ngf, k4 s2 p1)    -> BN -> ReLU      32x32
//     convt4: ConvT(ngf -> nc, k4 s2 p1)       -> Tanh            64x64   (no Tanh: logits, for the VAE's BCE)
//   Discriminator, image [N, nc, 64, 64] -> [N, out, 1, 1] (out 1: D's logit; 2L: the VAE's two heads):
//     conv0: Conv(nc -> ndf, k4 s2 p1)                -> LeakyReLU(0.2)    32x32
//     conv1: Conv(ndf -> 2 ndf, k4 s2 p1)     -> BN   -> LeakyReLU(0.2)    16x16
//     conv2: Conv(2 ndf -> 4 ndf, k4 s2 p1)   -> BN   -> LeakyReLU(0.2)    8x8
//     conv3: Conv(4 ndf -> 8 ndf, k4 s2 p1)   -> BN   -> LeakyReLU(0.2)    4x4
//     conv4: Conv(8 ndf -> out, k4 s1 p0)                                  1x1
//   The reference ends D with a Sigmoid and trains with BCELoss; here D returns the logit and the
//   loss is BCE with logits (kernels/loss.h), the same function of the logit in its stable form.
//
// Smaller images (for CPU tests): image_size 32 drops one stage (channels up to 4 ngf / 4 ndf:
// convt0 gives 4 ngf, conv3 is the 4 ndf -> out head), 16 drops two. In general, with
// m = image_size / 8 the widest stage has m ngf (m ndf) channels and each other stage halves it.
//
// Batch norm (BN) is nn/norm.h's: weight N(1, 0.02), bias 0; convolutions N(0, 0.02) (nn/conv.h),
// the initialisation weights_init of main.py. Parameter names, prefix P: P.convt<k>.weight,
// P.norm<k>.{weight,bias} (G); P.conv<k>.weight, P.norm<k>.{weight,bias} (D); buffers
// P.norm<k>.running_{mean,var}; declared in network order.
//
// Parameter counts at nz 100, ngf = ndf = 64, nc 3 (what main.py's printed models add up to):
//   G: convs 100*512*16 + 512*256*16 + 256*128*16 + 128*64*16 + 64*3*16
//        = 819,200 + 2,097,152 + 524,288 + 131,072 + 3,072 = 3,574,784
//      BN 2 (512 + 256 + 128 + 64) = 1,920                               total 3,576,704
//   D: convs 3*64*16 + 64*128*16 + 128*256*16 + 256*512*16 + 512*1*16
//        = 3,072 + 131,072 + 524,288 + 2,097,152 + 8,192 = 2,763,776
//      BN 2 (128 + 256 + 512) = 1,792                                    total 2,765,568
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

// image_size: 16, 32 or 64 (see above); the check names the option.
void check_dcgan_image_size(int image_size);

// count latent codes [count, dim, 1, 1] of N(0, 1) from stream (seed, 0) (runtime/random.h), on the
// CPU: the prior draws of sample() and interpolate() in both models.
Tensor prior_noise(int count, int dim, uint64_t seed);

struct DCGANGeneratorOptions {
  int nz = 100, ngf = 64, nc = 3, image_size = 64;
  bool tanh = true;  // false: the last layer's output (logits) is returned as it is
};

// The options' own checks (image_size, positive widths and channels); errors name the flag.
void validate(const DCGANGeneratorOptions& o);

class DCGANGenerator {
 public:
  DCGANGenerator(const DCGANGeneratorOptions& opts, ParamStore& store, const std::string& prefix = "G");
  // Every transposed convolution, in network order, input 1x1 (models/layers.h).
  static std::vector<ConvLayer> layers(const DCGANGeneratorOptions& opts, const std::string& prefix = "G");
  // z [N, nz, 1, 1] -> [N, nc, S, S], the layer's own buffer (valid until the next forward).
  // training: batch norm uses (and updates the running values of) the batch statistics.
  const Tensor& forward(const Tensor& z, bool training);
  // dz (written) when non-null; parameter gradients accumulated (+=).
  void backward(const Tensor& dy, Tensor* dz);
  std::string summary() const;
  int64_t num_params() const;
  // Each stage's output ("convt0" .., after its ReLU), the last the image (after the tanh, when on):
  // training health (models/health.h); valid after a forward, until the next.
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const;

 private:
  struct Stage {
    ConvTranspose2d convt;
    std::optional<Norm2d> norm;  // with the ReLU; the last stage has neither
    ReLU relu;
    Tensor g_relu, g_norm, g_in;  // dL/d(relu input), dL/d(norm input), dL/d(stage input)
  };
  DCGANGeneratorOptions opts_;
  std::string prefix_;
  std::vector<Stage> stages_;
  Tanh tanh_;
  Tensor g_tanh_;
};

struct DCGANDiscriminatorOptions {
  int nc = 3, ndf = 64, image_size = 64, out_channels = 1;
};

void validate(const DCGANDiscriminatorOptions& o);

class DCGANDiscriminator {
 public:
  DCGANDiscriminator(const DCGANDiscriminatorOptions& opts, ParamStore& store, const std::string& prefix = "D");
  // Every convolution, in network order, input image_size x image_size.
  static std::vector<ConvLayer> layers(const DCGANDiscriminatorOptions& opts, const std::string& prefix = "D");
  // x [N, nc, S, S] -> [N, out_channels, 1, 1], the layer's own buffer.
  const Tensor& forward(const Tensor& x, bool training);
  // dx (written) when non-null; parameter gradients accumulated (+=) only when param_grads.
  void backward(const Tensor& dy, Tensor* dx, bool param_grads);
  std::string summary() const;
  int64_t num_params() const;
  // Each stage's output, "conv0" .. (ConvStack::layer_outputs).
  std::vector<std::pair<std::string, const Tensor*>> layer_outputs() const { return stack_.layer_outputs(); }

 private:
  DCGANDiscriminatorOptions opts_;
  std::string prefix_;
  ConvStack stack_;  // LeakyReLU after every stage but the head
};

}  // namespace p2p
