// 8-bit RGB images: decoding (JPEG through libjpeg-turbo, PNG through libpng, BMP through stb_image;
// data/decoders.h), encoding through stb_image_write, PIL-style bicubic resizing, and the
// conversion to and from the network's [-1, 1] tensors.
//
// Refinement of the contract in notes/nn_api.md: Image holds uint8 samples (HWC, always 3
// channels), not floats. pix2pix works on 8-bit PIL images until ToTensor(), so keeping every
// stage 8-bit (decode, resize with its rounding, crop, flip, save) reproduces its numbers; the
// float view exists only as a tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/tensor.h"

namespace p2p {

struct Image {
  int w = 0, h = 0, c = 3;
  std::vector<uint8_t> px;  // row-major HWC: px[(y * w + x) * c + ch]

  Image() = default;
  Image(int width, int height, int channels = 3);  // zero-filled
  uint8_t& at(int x, int y, int ch) { return px[(static_cast<size_t>(y) * w + x) * c + ch]; }
  uint8_t at(int x, int y, int ch) const { return px[(static_cast<size_t>(y) * w + x) * c + ch]; }
};

// Decodes a JPEG, PNG or BMP file to RGB as Pillow's Image.open(path).convert('RGB') does (grey is
// replicated, alpha dropped); the format comes from the first bytes, not the name. Errors name the
// file and the problem: missing, unreadable, not an image, truncated or corrupt, over the size limit
// (kMaxImagePixels in data/decoders.h: 64 megapixels), a CMYK JPEG.
Image load_image(const std::string& path);
// The same from bytes in memory; `name` (a path, or what the bytes are) names them in errors.
Image decode_image(const unsigned char* data, size_t size, const std::string& name);

// What a file's header says, read without decoding the pixels: the format and the size.
struct ImageInfo {
  std::string format;  // "jpeg", "png", "bmp"
  int w = 0, h = 0;
};
// Reads the header only (no pixel is decoded). Errors as load_image's for a file that is missing,
// unreadable, empty, not an image, too large or has a damaged header; damaged pixel data shows only
// when decoding.
ImageInfo probe_image(const std::string& path);
// The same from bytes in memory; `name` names them in errors.
ImageInfo probe_image(const unsigned char* data, size_t size, const std::string& name);
// Encodes to PNG / JPEG (quality 1..100). Errors name the file.
void save_png(const std::string& path, const Image& img);
void save_jpg(const std::string& path, const Image& img, int quality = 95);

// A w x h copy of the rectangle at (x, y); it must lie inside the image.
Image crop(const Image& img, int x, int y, int w, int h);
// Mirrored left to right.
Image flip_horizontal(const Image& img);

// Resizes as Pillow's Image.resize(size, Image.BICUBIC) does (Pillow's Resample.c): separable,
// horizontal pass first, then vertical; cubic kernel with a = -0.5 on [-2, 2]; when shrinking by
// a factor s > 1 the kernel is stretched to support 2s (so it averages, antialiased); output pixel
// i samples the input around centre (i + 0.5) * in / out; taps are normalised to sum 1; each pass
// rounds to 8 bits with Pillow's 22-bit fixed-point weights and clamps to [0, 255]. A dimension
// whose size does not change is not resampled. Checked bit-exact against Pillow 10.4 (which always
// goes horizontal first). Pillow 13 does the vertical pass first for some size pairs (wider and
// shorter, some shrinking both ways), which moves a few pixels by 1-2 levels there; upscaling both
// axes, as pix2pix does on facades (256 -> 286), is the same in both.
Image resize_bicubic(const Image& img, int w, int h);

// One grey channel as Pillow's convert('L') (what the official code's Grayscale transform calls for
// --input_nc 1): L = (19595 R + 38470 G + 7471 B + 2^15) >> 16, the ITU-R 601-2 luma
// 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point. A grey image (R = G = B = v) gives v back.
Image to_grey(const Image& img);

// [1, 3, H, W] on the CPU, value (x / 255 - 0.5) / 0.5 in [-1, 1] (ToTensor then Normalize(0.5, 0.5)).
Tensor image_to_tensor(const Image& img);
// Item `index` of a [N, 3, H, W] tensor (any device) to 8 bits: round((x + 1) / 2 * 255) clamped to
// [0, 255]. A [N, 1, H, W] tensor (a grey model's) gives its channel in all three, as tensor2im tiles it. pix2pix's
// tensor2im truncates instead of rounding; rounding makes the round trip image -> tensor -> image exact.
Image tensor_to_image(const Tensor& t, int index = 0);

}  // namespace p2p
