// A grid of generated images in one picture (the DCGAN's and the VAE's samples, reconstructions and
// interpolations): N images [N, 3, H, W] in [-1, 1] (tensor_to_image's rounding) laid out row by
// row, `columns` to a row (0: ceil(sqrt(N)), so 64 images make 8 x 8), with `gap` pixels of white
// between the tiles and around the border. An N that does not fill the last row leaves it white.
#pragma once
#include <string>

#include "data/image.h"
#include "runtime/tensor.h"

namespace p2p {

Image make_grid(const Tensor& images, int columns = 0, int gap = 2);
// make_grid written as a PNG; errors name the file.
void save_grid(const std::string& path, const Tensor& images, int columns = 0, int gap = 2);

}  // namespace p2p
