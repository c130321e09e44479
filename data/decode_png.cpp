// PNG through libpng, converted as Pillow's Image.open(path).convert('RGB') converts:
//   palette            looked up to RGB; a tRNS chunk is dropped
//   grey, 1/2/4 bits   scaled to 8 bits (0/255, x85, x17), as Pillow unpacks modes "1", "L;2", "L;4"
//   grey, 16 bits      clipped to 255, not scaled: Pillow opens it as mode "I;16" and its
//                      conversion to RGB clips (such files mostly come out white there too)
//   other 16 bits      the high byte (Pillow's "RGB;16B", "RGBA;16B", "LA;16B" raw modes)
//   alpha, tRNS        dropped, not composited
//   grey               replicated to R, G and B
// Gamma, colour profiles and the other ancillary chunks are ignored, as Pillow ignores them.
//
// libpng reports errors through an error function that must not return: ours longjmps to the
// setjmp in run_decoder, a plain function with no C++ object whose destructor longjmp would skip.
// Warnings are errors too (a damaged ancillary chunk, extra data), and the image must end with its
// IEND chunk: a truncated file is an error, never a partly grey image.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>

#include "data/decoders.h"

namespace p2p {
namespace {

struct Source {
  const unsigned char* data;
  size_t size, at;
};

struct Errors {
  jmp_buf jump;
  char message[256];
};

[[noreturn]] void on_error(png_structp png, png_const_charp text) {
  auto* err = static_cast<Errors*>(png_get_error_ptr(png));
  std::snprintf(err->message, sizeof err->message, "%s", text);
  longjmp(err->jump, 1);
}

void on_warning(png_structp png, png_const_charp text) { on_error(png, text); }

void read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<Source*>(png_get_io_ptr(png));
  if (n > src->size - src->at) png_error(png, "unexpected end of file");
  std::memcpy(out, src->data + src->at, n);
  src->at += n;
}

// What the header says, and why decoding stopped when it did.
struct Outcome {
  long w, h;
  bool grey, grey16;  // rows hold one sample a pixel (two bytes, big-endian, when grey16)
  enum { ok, failed, too_large, no_memory } status;
};

// Reads the header, then (when out is not null) the pixels into out: RGB rows, or grey samples at
// the start of each RGB row that expand_grey spreads. A plain function: see above.
Outcome run_decoder(const unsigned char* data, size_t size, Image* out, Errors* err) {
  Outcome r{0, 0, false, false, Outcome::ok};
  Source src{data, size, 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, err, on_error, on_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    r.status = Outcome::no_memory;
    return r;
  }
  if (setjmp(err->jump)) {
    png_destroy_read_struct(&png, &info, nullptr);
    r.status = Outcome::failed;
    return r;
  }
  png_set_read_fn(png, &src, read_bytes);
  png_set_option(png, PNG_SKIP_sRGB_CHECK_PROFILE, PNG_OPTION_ON);  // a common, harmless complaint
  png_read_info(png, info);
  r.w = png_get_image_width(png, info);
  r.h = png_get_image_height(png, info);
  const int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
  r.grey = !(type & PNG_COLOR_MASK_COLOR);
  r.grey16 = type == PNG_COLOR_TYPE_GRAY && depth == 16;
  if (r.w * r.h > kMaxImagePixels) r.status = Outcome::too_large;
  if (!out || r.status != Outcome::ok) {
    png_destroy_read_struct(&png, &info, nullptr);
    return r;
  }
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (r.grey && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16 && !r.grey16) png_set_strip_16(png);
  png_set_strip_alpha(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const size_t stride = static_cast<size_t>(r.w) * 3;
  if (png_get_rowbytes(png, info) > stride) png_error(png, "unexpected row size after conversion");
  if (!allocate_rgb(out, static_cast<int>(r.w), static_cast<int>(r.h))) {
    png_destroy_read_struct(&png, &info, nullptr);
    r.status = Outcome::no_memory;
    return r;
  }
  for (int pass = 0; pass < passes; ++pass)
    for (long y = 0; y < r.h; ++y) png_read_row(png, out->px.data() + y * stride, nullptr);
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return r;
}

// Spreads the grey samples at the start of each row to R, G and B, from the right so that nothing
// is overwritten before it is read (pixel x moves from x or 2x to 3x).
void expand_grey(Image& img, bool sixteen) {
  const size_t stride = static_cast<size_t>(img.w) * 3;
  for (int y = 0; y < img.h; ++y) {
    uint8_t* row = img.px.data() + y * stride;
    for (int x = img.w - 1; x >= 0; --x) {
      const unsigned v = sixteen ? (row[2 * x] << 8 | row[2 * x + 1]) : row[x];
      const uint8_t g = static_cast<uint8_t>(v > 255 ? 255 : v);
      row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = g;
    }
  }
}

Outcome run_checked(const unsigned char* data, size_t size, Image* out, const std::string& name) {
  Errors err;
  Outcome r = run_decoder(data, size, out, &err);
  P2P_CHECK(r.status != Outcome::failed,
            "image file '" << name << "' is a corrupt or truncated PNG (" << size << " bytes): " << err.message);
  P2P_CHECK(r.status != Outcome::no_memory, "out of memory decoding image file '" << name << "'");
  check_image_size(r.w, r.h, name, "PNG");
  return r;
}

}  // namespace

Image decode_png(const unsigned char* data, size_t size, const std::string& name) {
  Image img;
  Outcome r = run_checked(data, size, &img, name);
  if (r.grey) expand_grey(img, r.grey16);
  return img;
}

ImageInfo probe_png(const unsigned char* data, size_t size, const std::string& name) {
  Outcome r = run_checked(data, size, nullptr, name);
  return ImageInfo{"png", static_cast<int>(r.w), static_cast<int>(r.h)};
}

}  // namespace p2p
