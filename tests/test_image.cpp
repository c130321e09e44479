// data/image and data/metrics: file decoding and its errors, PIL-exact bicubic resizing, the tensor
// conversions, and PSNR / SSIM / L1 on known cases.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "data/image.h"
#include "data/metrics.h"
#include "runtime/check.h"
#include "runtime/philox.h"
#include "tests/data_fixtures.h"

using namespace p2p;

namespace {

// The 9x6 test pattern whose resized versions were produced by Pillow 10.4 (Image.fromarray(a)
// .resize((w, h), Image.BICUBIC)) for the golden values below. (Checked once more widely: identical
// to Pillow 10.4 on 300 random sizes 1..80 -> 1..120, and on a facades photo 256 -> 286.)
Image pattern_9x6() {
  Image img(9, 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 9; ++x)
      for (int c = 0; c < 3; ++c)
        img.at(x, y, c) = static_cast<uint8_t>((x * 37 + y * 91 + c * 53 + x * y * c * 17) % 256);
  return img;
}

Image noise_image(int w, int h, uint64_t seed) {
  Image img(w, h);
  for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = static_cast<uint8_t>(philox_bits(seed, 0, i) & 255);
  return img;
}

}  // namespace

TEST_CASE("bicubic resize matches Pillow's Image.resize(BICUBIC) exactly", "[data][image]") {
  Image in = pattern_9x6();
  // Downscale on both axes (antialiased kernel), up on one axis and down on the other, both ways.
  std::vector<uint8_t> down_4x3 = {83,  135, 113, 140, 143, 180, 131, 147, 105, 90,  69,  158,
                                   110, 139, 100, 102, 135, 126, 137, 133, 121, 129, 114, 165,
                                   149, 139, 97,  108, 160, 141, 99,  135, 100, 156, 145, 144};
  std::vector<uint8_t> up_down_13x4 = {
      28,  78,  148, 45,  106, 115, 76,  146, 97,  109, 175, 135, 136, 137, 177, 164, 127, 223, 187, 171, 246, 139, 212,
      90,  138, 174, 36,  155, 82,  87,  53,  35,  120, 41,  53,  163, 70,  88,  192, 142, 202, 92,  171, 150, 78,  161,
      122, 99,  63,  179, 182, 74,  156, 127, 113, 102, 126, 144, 47,  204, 100, 88,  83,  93,  142, 62,  125, 178, 146,
      140, 162, 212, 166, 90,  202, 186, 26,  165, 53,  109, 154, 73,  95,  102, 99,  111, 69,  114, 184, 116, 146, 163,
      101, 139, 127, 114, 95,  116, 159, 126, 203, 71,  165, 164, 105, 176, 58,  211, 78,  153, 125, 68,  136, 119, 97,
      80,  149, 169, 229, 115, 198, 139, 74,  186, 87,  63,  84,  187, 141, 101, 170, 183, 100, 155, 175, 52,  170, 117,
      75,  131, 70,  103, 127, 60,  130, 144, 94,  163, 97,  180, 194, 154, 168, 213, 233, 122};
  std::vector<uint8_t> down_up_5x10 = {
      9,   61,  123, 73,  130, 201, 151, 221, 199, 189, 90,  56,  18,  69,  123, 44,  109, 118, 120, 151, 153, 168,
      174, 189, 127, 121, 69,  52,  55,  164, 107, 178, 108, 178, 178, 92,  182, 98,  168, 44,  166, 93,  115, 42,
      222, 179, 165, 96,  95,  147, 152, 106, 64,  143, 95,  151, 122, 188, 95,  201, 176, 140, 83,  41,  135, 174,
      79,  78,  120, 159, 143, 136, 185, 121, 172, 54,  125, 70,  80,  172, 97,  160, 152, 105, 198, 165, 123, 63,
      79,  158, 51,  100, 115, 144, 160, 86,  133, 162, 117, 144, 131, 141, 60,  112, 130, 124, 87,  168, 195, 129,
      117, 57,  138, 138, 61,  81,  159, 132, 177, 108, 187, 156, 82,  112, 157, 148, 71,  154, 121, 119, 123, 94,
      195, 166, 159, 221, 203, 19,  50,  178, 165, 88,  167, 107, 166, 157, 48,  230, 151, 195};
  CHECK(resize_bicubic(in, 4, 3).px == down_4x3);
  CHECK(resize_bicubic(in, 13, 4).px == up_down_13x4);
  CHECK(resize_bicubic(in, 5, 10).px == down_up_5x10);
}

TEST_CASE("bicubic resize: identity, constants, ramps and averaging", "[data][image]") {
  Image noise = noise_image(23, 17, 5);
  CHECK(resize_bicubic(noise, 23, 17).px == noise.px);  // same size: untouched

  Image flat(31, 19);
  for (size_t i = 0; i < flat.px.size(); ++i) flat.px[i] = static_cast<uint8_t>(40 + 70 * (i % 3));
  for (auto [w, h] : {std::pair{64, 40}, {7, 5}, {31, 50}, {1, 1}}) {
    Image r = resize_bicubic(flat, w, h);
    REQUIRE(r.w == w);
    REQUIRE(r.h == h);
    for (size_t i = 0; i < r.px.size(); ++i) REQUIRE(r.px[i] == 40 + 70 * (i % 3));  // weights sum to 1
  }

  // A horizontal ramp 4x + 10 upscaled by 2: the cubic reproduces linear functions, so away from
  // the borders (where the taps are clipped) output i, centred at input (i + 0.5) / 2 - 0.5, holds
  // 4 ((i + 0.5) / 2 - 0.5) + 10 up to the 8-bit rounding.
  Image ramp(40, 3);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 40; ++x)
      for (int c = 0; c < 3; ++c) ramp.at(x, y, c) = static_cast<uint8_t>(4 * x + 10);
  Image up = resize_bicubic(ramp, 80, 3);
  for (int x = 4; x < 76; ++x) CHECK(std::abs(up.at(x, 1, 0) - (4 * ((x + 0.5) / 2 - 0.5) + 10)) <= 0.5 + 1e-9);

  // Downscaling a 1-pixel checkerboard by 4 averages it (antialiasing): every output near 127.5,
  // where point sampling would give 0 or 255.
  Image checker(64, 64);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      for (int c = 0; c < 3; ++c) checker.at(x, y, c) = (x + y) % 2 ? 255 : 0;
  Image small = resize_bicubic(checker, 16, 16);
  for (int y = 1; y < 15; ++y)
    for (int x = 1; x < 15; ++x) CHECK(std::abs(small.at(x, y, 0) - 127.5) <= 3);
  CHECK_THROWS_WITH(resize_bicubic(flat, 0, 4), Catch::Contains("must be positive"));
}

TEST_CASE("image <-> tensor in [-1, 1], and the round trip is exact", "[data][image]") {
  Image img = noise_image(13, 7, 9);
  img.px[0] = 0;
  img.px[1] = 255;
  Tensor t = image_to_tensor(img);
  REQUIRE(t.shape() == Shape{1, 3, 7, 13});
  std::vector<float> v = t.to_vector();
  CHECK(v[0] == -1.0f);      // R of pixel (0, 0) = 0
  CHECK(v[7 * 13] == 1.0f);  // G of pixel (0, 0) = 255: plane 1
  int x = 5, y = 3, c = 2;   // NCHW layout of a chosen pixel
  CHECK(v[(c * 7 + y) * 13 + x] == Approx(img.at(x, y, c) / 127.5 - 1.0).margin(1e-6));
  for (float f : v) REQUIRE((f >= -1.0f && f <= 1.0f));
  CHECK(tensor_to_image(t).px == img.px);

  // Out-of-range and NaN values clamp.
  Tensor odd = Tensor::from_vector({1, 3, 1, 2}, {-3.0f, 2.0f, 0.0f, 1.0f, NAN, -1.0f});
  Image o = tensor_to_image(odd);
  CHECK(o.px == std::vector<uint8_t>{0, 128, 0, 255, 255, 0});
  // One channel (a grey model's output) shows in all three, as the official tensor2im tiles it.
  Image grey = tensor_to_image(Tensor::from_vector({1, 1, 1, 2}, {-1.0f, 1.0f}));
  CHECK(grey.c == 3);
  CHECK(grey.px == std::vector<uint8_t>{0, 0, 0, 255, 255, 255});
  CHECK_THROWS_WITH(tensor_to_image(Tensor({1, 2, 2, 2})), Catch::Contains("3 or 1 channels"));
}

TEST_CASE("to_grey is Pillow's convert('L')", "[data][image]") {
  Image img(4, 1);
  const uint8_t rgb[4][3] = {{10, 200, 77}, {255, 0, 128}, {1, 2, 3}, {255, 255, 255}};
  for (int x = 0; x < 4; ++x)
    for (int c = 0; c < 3; ++c) img.at(x, 0, c) = rgb[x][c];
  const Image g = to_grey(img);
  REQUIRE(g.c == 1);
  // (19595 R + 38470 G + 7471 B + 32768) >> 16: for (10, 200, 77) 8,497,985 >> 16 = 129; the luma
  // 0.299 R + 0.587 G + 0.114 B of the four is 129.2, 90.8, 1.8 and 255.
  CHECK(g.px == std::vector<uint8_t>{129, 91, 2, 255});
  Image v(1, 1);
  for (int c = 0; c < 3; ++c) v.at(0, 0, c) = 77;
  CHECK(to_grey(v).px[0] == 77);  // a grey pixel keeps its value
  CHECK_THROWS_WITH(to_grey(g), Catch::Contains("RGB"));
}

TEST_CASE("PNG and JPEG round trips through stb", "[data][image]") {
  testing::TempDir dir("image_io");
  Image img = noise_image(21, 11, 3);
  save_png(dir.file("a.png"), img);
  Image back = load_image(dir.file("a.png"));
  CHECK(back.w == 21);
  CHECK(back.h == 11);
  CHECK(back.c == 3);
  CHECK(back.px == img.px);  // PNG is lossless

  // JPEG is lossy: a smooth image comes back close.
  Image smooth(32, 16);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 32; ++x)
      for (int c = 0; c < 3; ++c) smooth.at(x, y, c) = static_cast<uint8_t>(60 + 4 * x + 3 * y + 20 * c);
  save_jpg(dir.file("a.jpg"), smooth, 95);
  Image jb = load_image(dir.file("a.jpg"));
  REQUIRE(jb.px.size() == smooth.px.size());
  CHECK(psnr(jb, smooth) > 35.0);
  CHECK_THROWS_WITH(save_png(dir.file("no/such/dir/x.png"), img), Catch::Contains("no/such/dir/x.png"));
}

TEST_CASE("bad image files give errors that name the file and the problem", "[data][image][errors]") {
  testing::TempDir dir("image_bad");
  CHECK_THROWS_WITH(load_image(dir.file("missing.png")),
                    Catch::Contains("missing.png") && Catch::Contains("does not exist"));
  std::ofstream(dir.file("text.jpg")) << "this is not an image at all";
  CHECK_THROWS_WITH(load_image(dir.file("text.jpg")), Catch::Contains("text.jpg") && Catch::Contains("cannot decode"));
  std::ofstream(dir.file("empty.png")).close();
  CHECK_THROWS_WITH(load_image(dir.file("empty.png")), Catch::Contains("empty.png") && Catch::Contains("empty"));

  // Truncated files: a JPEG cut in its scan data, and a PNG cut in its pixel data.
  Image img = noise_image(64, 48, 4);
  save_jpg(dir.file("full.jpg"), img, 90);
  save_png(dir.file("full.png"), img);
  for (const char* name : {"full.jpg", "full.png"}) {
    std::string src = dir.file(name), cut = dir.file(std::string("cut_") + name);
    auto size = std::filesystem::file_size(src);
    std::filesystem::copy_file(src, cut);
    std::filesystem::resize_file(cut, size * 2 / 3);
    CHECK_NOTHROW(load_image(src));
    CHECK_THROWS_WITH(load_image(cut), Catch::Contains(cut) && Catch::Contains("truncated"));
  }
}

TEST_CASE("PSNR and SSIM on known cases", "[data][metrics]") {
  Image a = noise_image(40, 30, 1);
  for (auto& p : a.px) p = static_cast<uint8_t>(20 + p * 200 / 255);  // keep room for an offset
  CHECK(std::isinf(psnr(a, a)));
  CHECK(ssim(a, a) == Approx(1.0).epsilon(1e-12));

  // A constant offset d: MSE = d^2, so PSNR = 20 log10(255 / d); SSIM only sees the mean shift.
  Image b = a;
  for (auto& p : b.px) p = static_cast<uint8_t>(p + 10);
  CHECK(psnr(a, b) == Approx(20 * std::log10(255.0 / 10)).epsilon(1e-12));
  CHECK(ssim(a, b) < 1.0);
  CHECK(ssim(a, b) > 0.95);

  // Growing noise lowers SSIM; SSIM is symmetric.
  double last = 1.0;
  for (int amp : {4, 16, 48}) {
    Image n = a;
    for (size_t i = 0; i < n.px.size(); ++i) {
      int d = static_cast<int>(philox_bits(77, amp, i) % (2 * amp + 1)) - amp;
      n.px[i] = static_cast<uint8_t>(std::clamp(n.px[i] + d, 0, 255));
    }
    double s = ssim(a, n);
    CHECK(s < last);
    CHECK(ssim(n, a) == Approx(s).epsilon(1e-12));
    last = s;
  }

  // A constant image against itself shifted: sigma terms vanish, SSIM = (2 m1 m2 + C1) / (m1^2 + m2^2 + C1).
  Image c1(20, 20), c2(20, 20);
  std::fill(c1.px.begin(), c1.px.end(), 100);
  std::fill(c2.px.begin(), c2.px.end(), 140);
  double C1 = (0.01 * 255) * (0.01 * 255);
  CHECK(ssim(c1, c2) == Approx((2 * 100.0 * 140 + C1) / (100.0 * 100 + 140.0 * 140 + C1)).epsilon(1e-9));

  // Against the definition written out directly: a 2-D window at every valid position, centred
  // moments sum w (x - mu_x)(y - mu_y) (the implementation filters separably and uses E[xy] - mu_x mu_y).
  Image p = noise_image(19, 15, 21), q = noise_image(19, 15, 22);
  for (size_t i = 0; i < q.px.size(); ++i) q.px[i] = static_cast<uint8_t>((p.px[i] * 3 + q.px[i]) / 4);
  double g[11], gsum = 0;
  for (int i = 0; i < 11; ++i) gsum += g[i] = std::exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
  double C2 = (0.03 * 255) * (0.03 * 255), want = 0;
  for (int ch = 0; ch < 3; ++ch) {
    double mean = 0;
    for (int y0 = 0; y0 + 11 <= 15; ++y0)
      for (int x0 = 0; x0 + 11 <= 19; ++x0) {
        auto sum_w = [&](auto f) {
          double s = 0;
          for (int dy = 0; dy < 11; ++dy)
            for (int dx = 0; dx < 11; ++dx)
              s += g[dy] * g[dx] / (gsum * gsum) *
                   f(double(p.at(x0 + dx, y0 + dy, ch)), double(q.at(x0 + dx, y0 + dy, ch)));
          return s;
        };
        double mx = sum_w([](double u, double) { return u; }), my = sum_w([](double, double v) { return v; });
        double vx = sum_w([&](double u, double) { return (u - mx) * (u - mx); });
        double vy = sum_w([&](double, double v) { return (v - my) * (v - my); });
        double cxy = sum_w([&](double u, double v) { return (u - mx) * (v - my); });
        mean += (2 * mx * my + C1) * (2 * cxy + C2) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      }
    want += mean / (5 * 9) / 3;
  }
  // Two summation orders of the same double-precision sums: agreement to ~1e-12 expected, 1e-9 allowed.
  CHECK(ssim(p, q) == Approx(want).epsilon(1e-9));

  CHECK_THROWS_WITH(psnr(a, Image(10, 10)), Catch::Contains("differ in size"));
  CHECK_THROWS_WITH(ssim(Image(8, 8), Image(8, 8)), Catch::Contains("11x11"));
}

TEST_CASE("mean L1 of tensors", "[data][metrics]") {
  Tensor x = Tensor::from_vector({1, 1, 2, 2}, {-1, 0, 0.5, 1});
  Tensor y = Tensor::from_vector({1, 1, 2, 2}, {1, 0, 0, 0.5});
  CHECK(mean_l1(x, y) == Approx((2 + 0 + 0.5 + 0.5) / 4.0));
  CHECK(mean_l1(x, x) == 0.0);
  CHECK_THROWS_WITH(mean_l1(x, Tensor({1, 1, 1, 4})), Catch::Contains("shapes differ"));
}
