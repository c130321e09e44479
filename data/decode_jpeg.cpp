// JPEG through libjpeg-turbo's libjpeg API, set up as Pillow's JpegDecode.c sets it up, so that the
// pixels are those of Image.open(path).convert('RGB'): the library's defaults (JDCT_ISLOW, fancy
// upsampling, block smoothing), output colour space RGB (YCbCr and RGB files; libjpeg replicates
// grey to three channels, as convert('RGB') does). CMYK and YCCK files are refused: Pillow inverts
// and converts them with a formula of its own, and no pix2pix data set holds one.
//
// libjpeg reports an error by calling error_exit, which must not return: ours longjmps back to the
// setjmp in run_decoder. No C++ object with a destructor may live in a frame that longjmp skips, so
// run_decoder is a plain function working on plain structs; the C++ wrappers below turn its outcome
// into a p2p::Error. Warnings (corrupt data, premature end of file) are errors here too: libjpeg
// would otherwise pad a truncated file with grey and carry on.
#include <csetjmp>
#include <cstdio>
#include <new>

// jpeglib.h needs FILE and size_t declared before it, and jerror.h (the message codes) after it.
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "data/decoders.h"

namespace p2p {
namespace {

// A progressive JPEG may hold any number of scans, each a pass over the whole image; a small file of
// thousands of tiny scans would take minutes. Real encoders write about ten.
constexpr int kMaxScans = 1000;
// libjpeg's own working memory (a progressive image keeps all its coefficients: 6 bytes a pixel).
constexpr long kMaxDecoderMemory = 512L << 20;

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg sees only this part
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  int scans;
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  cinfo->err->format_message(cinfo, err->message);
  longjmp(err->jump, 1);
}

// level < 0: a warning (corrupt data, premature end); level >= 0: trace messages, one per scan
// among them.
void on_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level < 0) on_error(cinfo);
  if (cinfo->err->msg_code == JTRC_SOS && ++err->scans > kMaxScans) {
    std::snprintf(err->message, sizeof err->message, "more than %d scans (limit in data/decode_jpeg.cpp)", kMaxScans);
    longjmp(err->jump, 1);
  }
}

// What the header says, and why decoding stopped when it did.
struct Outcome {
  long w, h;
  J_COLOR_SPACE space;
  enum { ok, failed, too_large, unsupported, no_memory } status;
};

// Reads the header, then (when out is not null) the pixels into out. A plain function: see above.
Outcome run_decoder(const unsigned char* data, size_t size, Image* out, ErrorManager* err) {
  Outcome r{0, 0, JCS_UNKNOWN, Outcome::ok};
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&err->pub);
  err->pub.error_exit = on_error;
  err->pub.emit_message = on_message;
  err->scans = 0;
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(&cinfo);
    r.status = Outcome::failed;
    return r;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = kMaxDecoderMemory;
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  r.w = cinfo.image_width;
  r.h = cinfo.image_height;
  r.space = cinfo.jpeg_color_space;
  if (r.w * r.h > kMaxImagePixels)
    r.status = Outcome::too_large;
  else if (r.space == JCS_CMYK || r.space == JCS_YCCK)
    r.status = Outcome::unsupported;
  if (!out || r.status != Outcome::ok) {
    jpeg_destroy_decompress(&cinfo);
    return r;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  if (!allocate_rgb(out, static_cast<int>(cinfo.output_width), static_cast<int>(cinfo.output_height))) {
    jpeg_destroy_decompress(&cinfo);
    r.status = Outcome::no_memory;
    return r;
  }
  const size_t stride = static_cast<size_t>(cinfo.output_width) * 3;
  JSAMPROW rows[8];
  while (cinfo.output_scanline < cinfo.output_height) {
    JDIMENSION n = cinfo.output_height - cinfo.output_scanline;
    if (n > 8) n = 8;
    for (JDIMENSION i = 0; i < n; ++i) rows[i] = out->px.data() + (cinfo.output_scanline + i) * stride;
    jpeg_read_scanlines(&cinfo, rows, n);
  }
  jpeg_finish_decompress(&cinfo);  // reads up to the end-of-image marker: a missing one is an error
  jpeg_destroy_decompress(&cinfo);
  return r;
}

Outcome run_checked(const unsigned char* data, size_t size, Image* out, const std::string& name) {
  ErrorManager err;
  Outcome r = run_decoder(data, size, out, &err);
  P2P_CHECK(r.status != Outcome::failed,
            "image file '" << name << "' is a corrupt or truncated JPEG (" << size << " bytes): " << err.message);
  P2P_CHECK(r.status != Outcome::unsupported, "image file '"
                                                  << name << "' is a " << (r.space == JCS_CMYK ? "CMYK" : "YCCK")
                                                  << " JPEG; only greyscale, YCbCr and RGB JPEGs are supported");
  P2P_CHECK(r.status != Outcome::no_memory, "out of memory decoding image file '" << name << "'");
  check_image_size(r.w, r.h, name, "JPEG");
  return r;
}

}  // namespace

Image decode_jpeg(const unsigned char* data, size_t size, const std::string& name) {
  Image img;
  run_checked(data, size, &img, name);
  return img;
}

ImageInfo probe_jpeg(const unsigned char* data, size_t size, const std::string& name) {
  Outcome r = run_checked(data, size, nullptr, name);
  return ImageInfo{"jpeg", static_cast<int>(r.w), static_cast<int>(r.h)};
}

}  // namespace p2p
