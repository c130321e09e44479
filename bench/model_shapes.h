// Shapes derived from tests/layer_shapes.h for the norm and pointwise benchmarks: where the pix2pix
// models (batch norm, models/unet.h and models/patchgan.h) normalise and apply LeakyReLU, and the
// size of unet_256's flat parameter buffer.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "tests/layer_shapes.h"

namespace p2p::bench {

using testing::kLayerShapes;
using testing::LayerShape;

inline bool named(const LayerShape& l, const char* name) { return std::strcmp(l.name, name) == 0; }

// Output size of a layer (square maps: the same rule gives the width).
inline int out_size(const LayerShape& l) {
  return l.transposed ? (l.h - 1) * l.stride - 2 * l.pad + l.k : (l.h + 2 * l.pad - l.k) / l.stride + 1;
}

// A norm follows every convolution except G's outermost pair (down1, up1), G's innermost down conv
// (down8) and the PatchGAN's first and last convs (conv0, conv4).
inline bool has_norm(const LayerShape& l) {
  for (const char* n : {"G.down1.conv", "G.down8.conv", "G.up1.convt", "D.conv0", "D.conv4"})
    if (named(l, n)) return false;
  return true;
}

// LeakyReLU(0.2) makes the input of every down conv but each network's first (G.down1, D.conv0).
inline bool input_from_leaky_relu(const LayerShape& l) {
  return !l.transposed && !named(l, "G.down1.conv") && !named(l, "D.conv0");
}

// unet_256 with batch norm: conv weights, gamma and beta of each norm, and the outermost transposed
// conv's bias (the only bias with batch norm). 54,413,955 (tests/test_models.cpp checks the same).
inline int64_t unet256_param_count() {
  int64_t total = 0;
  for (const LayerShape& l : kLayerShapes) {
    if (l.name[0] != 'G') continue;
    total += int64_t(l.cin) * l.cout * l.k * l.k;
    if (has_norm(l)) total += 2 * l.cout;
    if (named(l, "G.up1.convt")) total += l.cout;
  }
  return total;
}

// "G.down2.conv:128x64x64": a layer and the C x H x W of the activation it names.
inline std::string act_name(const LayerShape& l, int c, int hw) {
  return std::string(l.name) + ":" + std::to_string(c) + "x" + std::to_string(hw) + "x" + std::to_string(hw);
}

}  // namespace p2p::bench
