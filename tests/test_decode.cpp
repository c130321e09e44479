// data/decode_jpeg.cpp, decode_png.cpp and the BMP checks of data/image.cpp: every PNG colour type
// and bit depth comes out as Pillow's Image.open(path).convert('RGB') gives it, and damaged files
// give errors that name the file and the problem. The PNGs are written here with libpng, which can
// write what stb_image_write cannot (palettes, 16 bits, low bit depths, interlacing).
#include <png.h>
#include <zlib.h>  // crc32, to forge a PNG header

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "data/image.h"
#include "runtime/check.h"
#include "tests/data_fixtures.h"

using namespace p2p;

namespace {

struct PngSpec {
  int w, h, color_type, depth;
  std::vector<uint8_t> raw;  // the rows as the file stores them (big-endian samples, packed bits)
  std::vector<png_color> palette;
  std::vector<uint8_t> trns;  // palette alphas
  bool interlaced = false;
};

void write_png(const std::string& path, const PngSpec& s) {
  FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, s.w, s.h, s.depth, s.color_type, s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!s.palette.empty()) png_set_PLTE(png, info, s.palette.data(), static_cast<int>(s.palette.size()));
  if (!s.trns.empty()) png_set_tRNS(png, info, s.trns.data(), static_cast<int>(s.trns.size()), nullptr);
  png_write_info(png, info);
  const size_t stride = s.raw.size() / s.h;
  std::vector<png_bytep> rows;
  for (int y = 0; y < s.h; ++y) rows.push_back(const_cast<png_bytep>(s.raw.data() + y * stride));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

// The RGB triples of a decoded image, in order.
std::vector<uint8_t> pixels(const std::string& path) {
  Image img = load_image(path);
  REQUIRE(img.c == 3);
  return img.px;
}

}  // namespace

TEST_CASE("PNG: every colour type and bit depth as Pillow's convert('RGB')", "[data][decode]") {
  testing::TempDir dir("decode_png");
  const std::string p = dir.file("x.png");

  SECTION("grey 8 bits is replicated") {
    write_png(p, {3, 1, PNG_COLOR_TYPE_GRAY, 8, {0, 100, 255}});
    CHECK(pixels(p) == std::vector<uint8_t>{0, 0, 0, 100, 100, 100, 255, 255, 255});
  }
  SECTION("grey 4 bits is scaled by 17, 1 bit to 0 / 255") {
    write_png(p, {2, 1, PNG_COLOR_TYPE_GRAY, 4, {0x5F}});
    CHECK(pixels(p) == std::vector<uint8_t>{85, 85, 85, 255, 255, 255});
    write_png(p, {3, 1, PNG_COLOR_TYPE_GRAY, 1, {0xA0}});
    CHECK(pixels(p) == std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255});
  }
  SECTION("grey 16 bits is clipped to 255, as Pillow's mode I;16 converts") {
    write_png(p, {3, 1, PNG_COLOR_TYPE_GRAY, 16, {0x00, 0x12, 0x01, 0x00, 0xFF, 0xFF}});
    CHECK(pixels(p) == std::vector<uint8_t>{18, 18, 18, 255, 255, 255, 255, 255, 255});
  }
  SECTION("RGB 16 bits keeps the high byte") {
    write_png(p, {1, 1, PNG_COLOR_TYPE_RGB, 16, {0x12, 0x34, 0xAB, 0xFF, 0x00, 0x80}});
    CHECK(pixels(p) == std::vector<uint8_t>{0x12, 0xAB, 0x00});
  }
  SECTION("alpha is dropped, not composited (8 and 16 bits, grey and colour)") {
    write_png(p, {2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, {10, 20, 30, 0, 40, 50, 60, 128}});
    CHECK(pixels(p) == std::vector<uint8_t>{10, 20, 30, 40, 50, 60});
    write_png(p, {1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 16, {0x7F, 0x01, 0x00, 0x00}});
    CHECK(pixels(p) == std::vector<uint8_t>{0x7F, 0x7F, 0x7F});
  }
  SECTION("a palette is looked up, its transparency dropped") {
    write_png(p, {4, 1, PNG_COLOR_TYPE_PALETTE, 2, {0x1B}, {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {10, 11, 12}}, {0, 255}});
    CHECK(pixels(p) == std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  }
  SECTION("interlaced (Adam7) decodes to the same pixels") {
    PngSpec s{9, 7, PNG_COLOR_TYPE_RGB, 8, {}};
    for (int i = 0; i < 9 * 7 * 3; ++i) s.raw.push_back(static_cast<uint8_t>(i * 7));
    write_png(p, s);
    const std::vector<uint8_t> plain = pixels(p);
    s.interlaced = true;
    write_png(p, s);
    CHECK(pixels(p) == plain);
    CHECK(plain == s.raw);
  }
}

TEST_CASE("probe_image reads the format and size from the header", "[data][decode]") {
  testing::TempDir dir("decode_probe");
  Image img(6, 4);
  save_png(dir.file("a.png"), img);
  save_jpg(dir.file("a.jpg"), img);
  write_png(dir.file("g.png"), {5, 3, PNG_COLOR_TYPE_GRAY, 16, std::vector<uint8_t>(30)});
  for (auto [name, format, w, h] :
       {std::tuple{"a.png", "png", 6, 4}, {"a.jpg", "jpeg", 6, 4}, {"g.png", "png", 5, 3}}) {
    ImageInfo info = probe_image(dir.file(name));
    CHECK(info.format == format);
    CHECK(info.w == w);
    CHECK(info.h == h);
  }
  // The format comes from the bytes, not the name.
  std::filesystem::copy_file(dir.file("a.png"), dir.file("png.jpg"));
  CHECK(probe_image(dir.file("png.jpg")).format == "png");
  CHECK(load_image(dir.file("png.jpg")).w == 6);
}

TEST_CASE("grey JPEGs come out as RGB", "[data][decode]") {
  testing::TempDir dir("decode_grey_jpeg");
  Image grey(8, 8, 1);
  for (size_t i = 0; i < grey.px.size(); ++i) grey.px[i] = static_cast<uint8_t>(i * 4);
  save_jpg(dir.file("g.jpg"), grey);
  Image img = load_image(dir.file("g.jpg"));
  REQUIRE(img.c == 3);
  for (size_t i = 0; i < img.px.size(); i += 3) {
    CHECK(img.px[i] == img.px[i + 1]);
    CHECK(img.px[i] == img.px[i + 2]);
  }
}

TEST_CASE("damaged, truncated and oversized files are clear errors", "[data][decode][errors]") {
  testing::TempDir dir("decode_bad");
  auto write = [&](const std::string& name, std::vector<uint8_t> bytes) {
    std::ofstream(dir.file(name), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return dir.file(name);
  };
  // A PNG whose header declares 10000 x 10000: refused before any pixel is read.
  std::vector<uint8_t> big = {0x89, 'P', 'N', 'G',  '\r', '\n', 0x1A, '\n', 0,    0, 0, 13, 'I', 'H', 'D',
                              'R',  0,   0,   0x27, 0x10, 0,    0,    0x27, 0x10, 8, 2, 0,  0,   0};
  const uint32_t crc = crc32(crc32(0, nullptr, 0), big.data() + 12, 17);
  for (int i = 3; i >= 0; --i) big.push_back(static_cast<uint8_t>(crc >> (8 * i)));
  big.insert(big.end(), {0, 0, 0, 0, 'I', 'D', 'A', 'T'});  // the header read stops at the first IDAT
  const std::string bomb = write("bomb.png", big);
  CHECK_THROWS_WITH(probe_image(bomb), Catch::Contains(bomb) && Catch::Contains("over the limit"));
  CHECK_THROWS_WITH(load_image(bomb), Catch::Contains(bomb) && Catch::Contains("10000x10000"));

  // A bad checksum in the PNG header, and a JPEG with nothing after its start marker.
  big[20] ^= 1;
  const std::string crc_bad = write("crc.png", big);
  CHECK_THROWS_WITH(load_image(crc_bad), Catch::Contains(crc_bad) && Catch::Contains("corrupt or truncated PNG"));
  const std::string soi = write("soi.jpg", {0xFF, 0xD8, 0xFF});
  CHECK_THROWS_WITH(load_image(soi), Catch::Contains(soi) && Catch::Contains("corrupt or truncated JPEG"));

  // A BMP cut in its pixel rows (stb_image alone would read zeros past the end).
  Image img(8, 8);
  const std::string bmp = dir.file("a.bmp");
  {
    // 24-bit BITMAPINFOHEADER BMP: 54 header bytes, then 8 rows of 24 bytes.
    std::vector<uint8_t> b(54 + 8 * 24, 0);
    b[0] = 'B', b[1] = 'M', b[10] = 54, b[14] = 40, b[18] = 8, b[22] = 8, b[26] = 1, b[28] = 24;
    write("a.bmp", b);
    CHECK(load_image(bmp).w == 8);
    b.resize(b.size() - 10);
    const std::string cut = write("cut.bmp", b);
    CHECK_THROWS_WITH(load_image(cut), Catch::Contains(cut) && Catch::Contains("truncated BMP"));
  }
  // Neither JPEG, PNG nor BMP.
  const std::string gif = write("x.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0});
  CHECK_THROWS_WITH(load_image(gif), Catch::Contains(gif) && Catch::Contains("not a JPEG, PNG or BMP"));
}
