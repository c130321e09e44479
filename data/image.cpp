// Image files (JPEG and PNG through data/decoders.h, BMP through stb_image, writing through
// stb_image_write), crops, flips and the tensor conversions.
#include "data/image.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "data/decoders.h"
#include "runtime/check.h"
#include "stb_image.h"
#include "stb_image_write.h"

namespace p2p {

Image::Image(int width, int height, int channels)
    : w(width), h(height), c(channels), px(static_cast<size_t>(width) * height * channels, 0) {
  P2P_CHECK(width > 0 && height > 0 && channels > 0,
            "image size " << width << "x" << height << "x" << channels << " must be positive");
}

namespace {

std::vector<unsigned char> read_file(const std::string& path) {
  std::error_code ec;
  P2P_CHECK(std::filesystem::exists(path, ec), "image file '" << path << "' does not exist");
  P2P_CHECK(!std::filesystem::is_directory(path, ec), "image file '" << path << "' is a directory");
  std::ifstream in(path, std::ios::binary);
  P2P_CHECK(in, "cannot open image file '" << path << "': " << std::strerror(errno));
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  P2P_CHECK(!in.bad(), "error reading image file '" << path << "'");
  P2P_CHECK(!bytes.empty(), "image file '" << path << "' is empty");
  return bytes;
}

enum class Format { jpeg, png, bmp, unknown };

// The format is read from the first bytes, never from the file name: a misnamed file still decodes,
// and bytes that are no image reach no decoder.
Format sniff(const unsigned char* b, size_t size) {
  static const unsigned char png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Format::jpeg;
  if (size >= 8 && std::memcmp(b, png, 8) == 0) return Format::png;
  if (size >= 2 && b[0] == 'B' && b[1] == 'M') return Format::bmp;
  return Format::unknown;
}

void check_known(Format f, size_t size, const std::string& path) {
  P2P_CHECK(size > 0, "image file '" << path << "' is empty");
  P2P_CHECK(size <= size_t(std::numeric_limits<int>::max()),
            "image file '" << path << "' is too large (" << size << " bytes)");
  P2P_CHECK(f != Format::unknown,
            "cannot decode image file '" << path << "' (" << size << " bytes): not a JPEG, PNG or BMP file");
}

uint32_t le(const unsigned char* b, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = v << 8 | b[i];
  return v;
}

// stb_image decodes a BMP cut short without complaint (it reads zeros past the end), so a 300-byte
// file could declare and "decode" to 30 megapixels. An uncompressed BMP's pixel rows (padded to 4
// bytes) must fit between its pixel-data offset and the end of the file; stb decodes no compressed
// (RLE) BMP. Header layouts: BITMAPCOREHEADER (12 bytes: 16-bit sizes) or BITMAPINFOHEADER and later.
void check_bmp_complete(const unsigned char* b, size_t size, const std::string& path) {
  P2P_CHECK(size >= 26, "image file '" << path << "' is a truncated BMP (" << size << " bytes)");
  const uint32_t offset = le(b + 10, 4), header = le(b + 14, 4);
  const bool core = header == 12;
  P2P_CHECK(core || size >= 34, "image file '" << path << "' is a truncated BMP (" << size << " bytes)");
  const int64_t w = core ? le(b + 18, 2) : static_cast<int32_t>(le(b + 18, 4));
  int64_t h = core ? static_cast<int16_t>(le(b + 20, 2)) : static_cast<int32_t>(le(b + 22, 4));
  const int64_t bits = core ? le(b + 24, 2) : le(b + 28, 2);
  if (h < 0) h = -h;  // a negative height means top-down rows
  check_image_size(w, h, path, "BMP");
  const int64_t need = offset + (w * bits + 31) / 32 * 4 * h;
  P2P_CHECK(need <= static_cast<int64_t>(size),
            "image file '" << path << "' is a truncated BMP (" << size << " bytes; its header needs " << need << ")");
}

// BMP through stb_image, whose header read gives the size before any pixel is decoded.
ImageInfo probe_bmp(const unsigned char* bytes, size_t size, const std::string& path) {
  check_bmp_complete(bytes, size, path);
  ImageInfo info{"bmp", 0, 0};
  int channels = 0;
  P2P_CHECK(stbi_info_from_memory(bytes, static_cast<int>(size), &info.w, &info.h, &channels),
            "image file '" << path << "' is a corrupt BMP (" << size << " bytes): " << stbi_failure_reason());
  check_image_size(info.w, info.h, path, "BMP");
  return info;
}

Image decode_bmp(const unsigned char* bytes, size_t size, const std::string& path) {
  probe_bmp(bytes, size, path);
  int w = 0, h = 0, channels_in_file = 0;
  unsigned char* data = stbi_load_from_memory(bytes, static_cast<int>(size), &w, &h, &channels_in_file, 3);
  P2P_CHECK(data, "image file '" << path << "' is a corrupt or truncated BMP (" << size
                                 << " bytes): " << stbi_failure_reason());
  Image img;
  img.w = w;
  img.h = h;
  img.c = 3;
  img.px.assign(data, data + static_cast<size_t>(w) * h * 3);
  stbi_image_free(data);
  return img;
}

void write_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  auto* p = static_cast<unsigned char*>(data);
  out->insert(out->end(), p, p + size);
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  P2P_CHECK(out, "cannot open '" << path << "' for writing: " << std::strerror(errno));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  P2P_CHECK(out, "error writing '" << path << "' (disk full?)");
}

void check_savable(const std::string& path, const Image& img) {
  P2P_CHECK(img.w > 0 && img.h > 0 && (img.c == 1 || img.c == 3 || img.c == 4) &&
                img.px.size() == static_cast<size_t>(img.w) * img.h * img.c,
            "cannot save '" << path << "': image " << img.w << "x" << img.h << "x" << img.c << " holding "
                            << img.px.size() << " bytes is malformed");
}

}  // namespace

Image load_image(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

Image decode_image(const unsigned char* bytes, size_t size, const std::string& path) {
  const Format f = sniff(bytes, size);
  check_known(f, size, path);
  switch (f) {
    case Format::jpeg:
      return decode_jpeg(bytes, size, path);
    case Format::png:
      return decode_png(bytes, size, path);
    default:
      return decode_bmp(bytes, size, path);
  }
}

ImageInfo probe_image(const std::string& path) {
  const std::vector<unsigned char> bytes = read_file(path);
  return probe_image(bytes.data(), bytes.size(), path);
}

ImageInfo probe_image(const unsigned char* bytes, size_t size, const std::string& path) {
  const Format f = sniff(bytes, size);
  check_known(f, size, path);
  switch (f) {
    case Format::jpeg:
      return probe_jpeg(bytes, size, path);
    case Format::png:
      return probe_png(bytes, size, path);
    default:
      return probe_bmp(bytes, size, path);
  }
}

void save_png(const std::string& path, const Image& img) {
  check_savable(path, img);
  std::vector<unsigned char> bytes;
  P2P_CHECK(stbi_write_png_to_func(write_bytes, &bytes, img.w, img.h, img.c, img.px.data(), img.w * img.c),
            "PNG encoding of '" << path << "' failed");
  write_file(path, bytes);
}

void save_jpg(const std::string& path, const Image& img, int quality) {
  check_savable(path, img);
  P2P_CHECK(quality >= 1 && quality <= 100, "JPEG quality " << quality << " for '" << path << "' not in 1..100");
  std::vector<unsigned char> bytes;
  P2P_CHECK(stbi_write_jpg_to_func(write_bytes, &bytes, img.w, img.h, img.c, img.px.data(), quality),
            "JPEG encoding of '" << path << "' failed");
  write_file(path, bytes);
}

Image crop(const Image& img, int x, int y, int w, int h) {
  P2P_CHECK(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= img.w && y + h <= img.h,
            "crop " << w << "x" << h << " at (" << x << ", " << y << ") does not fit in a " << img.w << "x" << img.h
                    << " image");
  Image out(w, h, img.c);
  size_t row = static_cast<size_t>(w) * img.c;
  for (int r = 0; r < h; ++r)
    std::memcpy(&out.px[r * row], &img.px[(static_cast<size_t>(y + r) * img.w + x) * img.c], row);
  return out;
}

Image flip_horizontal(const Image& img) {
  Image out(img.w, img.h, img.c);
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < img.w; ++x)
      for (int ch = 0; ch < img.c; ++ch) out.at(x, y, ch) = img.at(img.w - 1 - x, y, ch);
  return out;
}

Image to_grey(const Image& img) {
  P2P_CHECK(img.c == 3, "to_grey needs an RGB image, got " << img.c << " channels");
  Image out(img.w, img.h, 1);
  for (size_t i = 0; i < out.px.size(); ++i) {
    const uint8_t* p = &img.px[i * 3];
    out.px[i] = static_cast<uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
  }
  return out;
}

Tensor image_to_tensor(const Image& img) {
  P2P_CHECK(img.c == 3, "image_to_tensor needs an RGB image, got " << img.c << " channels");
  Tensor t({1, 3, img.h, img.w});
  float* p = t.data();
  size_t plane = static_cast<size_t>(img.w) * img.h;
  for (int ch = 0; ch < 3; ++ch)
    for (size_t i = 0; i < plane; ++i) p[ch * plane + i] = (img.px[i * 3 + ch] / 255.0f - 0.5f) / 0.5f;
  return t;
}

Image tensor_to_image(const Tensor& t, int index) {
  check_rank(t, 4, "tensor_to_image input");
  P2P_CHECK(t.c() == 3 || t.c() == 1, "tensor_to_image needs 3 or 1 channels, got " << shape_str(t.shape()));
  P2P_CHECK(index >= 0 && index < t.n(), "tensor_to_image: item " << index << " of " << shape_str(t.shape()));
  Tensor host = t.device() == Device::CPU ? t.batch(index) : t.batch(index).to(Device::CPU);
  Image img(t.w(), t.h(), 3);
  const float* p = host.data();
  size_t plane = static_cast<size_t>(img.w) * img.h;
  for (int ch = 0; ch < 3; ++ch)
    for (size_t i = 0; i < plane; ++i) {
      float v = std::round((p[(t.c() == 1 ? 0 : ch) * plane + i] + 1.0f) * 0.5f * 255.0f);
      img.px[i * 3 + ch] = static_cast<uint8_t>(std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 255.0f));
    }
  return img;
}

}  // namespace p2p
