// The decoders behind load_image / decode_image / probe_image (data/image.h), one file each:
// JPEG through libjpeg-turbo (decode_jpeg.cpp), PNG through libpng (decode_png.cpp); BMP stays on
// stb_image (image.cpp). data/image.cpp picks one by the file's first bytes, never by its name.
//
// Both decoders follow what Pillow's Image.open(path).convert('RGB') gives, so that our pixels are
// the official pix2pix pipeline's; each file says how. Every library error and every warning
// (corrupt data, a premature end) becomes a p2p::Error that names the file and the problem.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "data/image.h"
#include "runtime/check.h"

namespace p2p {

// The largest image any decoder accepts, against decompression bombs (a tiny file that declares a
// huge image): 64 megapixels, 8192 x 8192, 192 MiB as RGB; pix2pix images are well under 1.
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;

inline void check_image_size(int64_t w, int64_t h, const std::string& name, const char* format) {
  P2P_CHECK(w > 0 && h > 0, "image file '" << name << "' is a corrupt " << format << ": size " << w << "x" << h);
  P2P_CHECK(w * h <= kMaxImagePixels, "image file '" << name << "' is a " << w << "x" << h << " " << format
                                                     << ", over the limit of " << (kMaxImagePixels >> 20)
                                                     << " megapixels (data/decoders.h)");
}

// Sizes img as w x h RGB; false when the memory cannot be had. For the decoders' C callbacks, which
// must not let an exception cross libjpeg's or libpng's frames.
inline bool allocate_rgb(Image* img, int w, int h) noexcept {
  try {
    img->w = w;
    img->h = h;
    img->c = 3;
    img->px.resize(static_cast<size_t>(w) * h * 3);
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  }
}

Image decode_jpeg(const unsigned char* data, size_t size, const std::string& name);
ImageInfo probe_jpeg(const unsigned char* data, size_t size, const std::string& name);
Image decode_png(const unsigned char* data, size_t size, const std::string& name);
ImageInfo probe_png(const unsigned char* data, size_t size, const std::string& name);

}  // namespace p2p
