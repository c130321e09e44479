// Every convolution of the pix2pix models at their default sizes, for the tests and benchmarks:
// unet_256 (ngf 64, input 3x256x256; models/unet.h) and the 70x70 PatchGAN (n_layers 3, ndf 64,
// input 6x256x256; models/patchgan.h). h and w are the layer's input size; a transposed layer maps
// [N, cin, h, w] to [N, cout, 2h, 2w], a conv to [N, cout, (h + 2 pad - k) / stride + 1, ...].
#pragma once

namespace p2p::testing {

struct LayerShape {
  const char* name;
  int cin, cout, h, w, k, stride, pad;
  bool transposed;
};

inline constexpr LayerShape kLayerShapes[] = {
    // U-Net down path: 4x4 stride-2 convs halve the size, 256 -> 1.
    {"G.down1.conv", 3, 64, 256, 256, 4, 2, 1, false},
    {"G.down2.conv", 64, 128, 128, 128, 4, 2, 1, false},
    {"G.down3.conv", 128, 256, 64, 64, 4, 2, 1, false},
    {"G.down4.conv", 256, 512, 32, 32, 4, 2, 1, false},
    {"G.down5.conv", 512, 512, 16, 16, 4, 2, 1, false},
    {"G.down6.conv", 512, 512, 8, 8, 4, 2, 1, false},
    {"G.down7.conv", 512, 512, 4, 4, 4, 2, 1, false},
    {"G.down8.conv", 512, 512, 2, 2, 4, 2, 1, false},
    // U-Net up path: 4x4 stride-2 transposed convs double the size, 1 -> 256; inputs are the skip
    // concatenations (twice the channels) except at the innermost level.
    {"G.up8.convt", 512, 512, 1, 1, 4, 2, 1, true},
    {"G.up7.convt", 1024, 512, 2, 2, 4, 2, 1, true},
    {"G.up6.convt", 1024, 512, 4, 4, 4, 2, 1, true},
    {"G.up5.convt", 1024, 512, 8, 8, 4, 2, 1, true},
    {"G.up4.convt", 1024, 256, 16, 16, 4, 2, 1, true},
    {"G.up3.convt", 512, 128, 32, 32, 4, 2, 1, true},
    {"G.up2.convt", 256, 64, 64, 64, 4, 2, 1, true},
    {"G.up1.convt", 128, 3, 128, 128, 4, 2, 1, true},
    // PatchGAN: three stride-2 convs, then two stride-1 convs (32 -> 31 -> 30 logits per side).
    {"D.conv0", 6, 64, 256, 256, 4, 2, 1, false},
    {"D.conv1", 64, 128, 128, 128, 4, 2, 1, false},
    {"D.conv2", 128, 256, 64, 64, 4, 2, 1, false},
    {"D.conv3", 256, 512, 32, 32, 4, 1, 1, false},
    {"D.conv4", 512, 1, 31, 31, 4, 1, 1, false},
};

}  // namespace p2p::testing
