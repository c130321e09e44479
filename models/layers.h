// ConvLayer: one convolution of a model as the model declares it, so that tests and benchmarks take
// the layer shapes from the models (UNet::layers, PatchGAN::layers) instead of keeping a copy.
// The constructors build their convolutions from the same lists, so the channel, bias and norm
// formulas live in one place.
//
// Sizes: h x w is the layer's input; a conv maps [N, cin, h, w] to
// [N, cout, (h + 2 reflect_pad + 2 pad - k) / stride + 1, ...] (reflect_pad: a ReflectionPad2d before
// it, CycleGAN's ResNet generator), a transposed conv to
// [N, cout, (h - 1) stride - 2 pad + k + output_padding, ...].
#pragma once
#include <string>
#include <vector>

namespace p2p {

struct ConvLayer {
  std::string name;  // the parameter prefix in the checkpoint: "<name>.weight", "<name>.bias"
  int cin = 0, cout = 0;
  int h = 0, w = 0;  // input size
  int k = 0, stride = 1, pad = 0;
  bool transposed = false;
  bool bias = false;
  bool norm = false;              // a norm over cout channels follows, at the output size
  bool after_leaky_relu = false;  // the input is the output of a LeakyReLU(0.2)
  int reflect_pad = 0;            // the conv reads the input reflection-padded by this much (then its own zero pad)
  int output_padding = 0;         // transposed only

  int out_h() const { return out_size(h); }
  int out_w() const { return out_size(w); }

 private:
  int out_size(int in) const {
    return transposed ? (in - 1) * stride - 2 * pad + k + output_padding
                      : (in + 2 * reflect_pad + 2 * pad - k) / stride + 1;
  }
};

// Sets every layer's input size: h x w for the first, the previous layer's output size for each
// other. Both models' lists chain this way in declaration order (the U-Net's skip concatenations
// join maps of one size, and its innermost up conv reads the innermost down conv's output).
void chain_sizes(std::vector<ConvLayer>& layers, int h, int w);

// o after validate(o), the checks its options type declares beside it (a network's constructor
// validates its options in its initialiser list).
template <class O>
const O& validated(const O& o) {
  validate(o);
  return o;
}

}  // namespace p2p
