// The convolutions of the pix2pix models at their default sizes, as the models list them
// (models/layers.h): unet_256 (UNetOptions defaults, input 3x256x256) then the 70x70 PatchGAN
// (PatchGANOptions defaults, input 6x256x256), both with batch norm. bench_conv measures each conv;
// bench_norm the norm after it (ConvLayer::norm), bench_pointwise the LeakyReLU before it
// (ConvLayer::after_leaky_relu) and Adam over unet_256's flat parameter buffer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/patchgan.h"
#include "models/unet.h"

namespace p2p::bench {

inline std::vector<ConvLayer> model_layers() {
  std::vector<ConvLayer> layers = UNet::layers(UNetOptions{}, 256, 256);
  const std::vector<ConvLayer> d = PatchGAN::layers(PatchGANOptions{}, 256, 256);
  layers.insert(layers.end(), d.begin(), d.end());
  return layers;
}

// unet_256's parameter count, 54,413,955 (tests/test_models.cpp checks the same): the model is
// declared in a store that is never finalized, so nothing is allocated.
inline int64_t unet256_param_count() {
  ParamStore store;
  return UNet(UNetOptions{}, store).num_params();
}

// "G.down2.conv:128x64x64": a layer and the C x H x W of the activation it names (square maps).
inline std::string act_name(const ConvLayer& l, int c, int hw) {
  return l.name + ":" + std::to_string(c) + "x" + std::to_string(hw) + "x" + std::to_string(hw);
}

}  // namespace p2p::bench
