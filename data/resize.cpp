// Bicubic resampling, following Pillow's Resample.c step for step so that the output matches
// PIL's Image.resize(size, Image.BICUBIC) on 8-bit RGB images (what pix2pix's transforms.Resize uses).
//
// One pass resamples one axis from n_in to n_out samples:
//   scale = n_in / n_out,  filterscale = max(scale, 1),  support = 2 * filterscale
//   output i is centred at c = (i + 0.5) * scale in input coordinates (pixel j covers [j, j + 1));
//   taps j in [int(c - support + 0.5), int(c + support + 0.5)) clipped to [0, n_in);
//   weight_j = cubic((j + 0.5 - c) / filterscale), normalised to sum 1, where
//   cubic(x) = (a + 2)|x|^3 - (a + 3)|x|^2 + 1 for |x| < 1, a(|x|^3 - 5|x|^2 + 8|x| - 4) for |x| < 2,
//   0 beyond, a = -0.5;
//   the weights become 22-bit fixed point (rounded half away from zero), out = clamp(floor((2^21 +
//   sum_j w_j * in_j) / 2^22), 0, 255): an 8-bit result, rounded, after each pass.
#include <algorithm>
#include <cmath>
#include <vector>

#include "data/image.h"
#include "runtime/check.h"

namespace p2p {
namespace {

constexpr int kPrecisionBits = 22;

double cubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// The taps of one pass: output i reads inputs first[i] .. first[i] + count[i] - 1 with the
// fixed-point weights weight[i * ksize + k].
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weight;
};

Taps make_taps(int n_in, int n_out) {
  double scale = static_cast<double>(n_in) / n_out;
  double filterscale = std::max(scale, 1.0);
  double support = 2.0 * filterscale;
  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(n_out);
  t.count.resize(n_out);
  t.weight.assign(static_cast<size_t>(n_out) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int i = 0; i < n_out; ++i) {
    double center = (i + 0.5) * scale;
    int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), n_in);
    double sum = 0.0;
    for (int j = lo; j < hi; ++j) {
      k[j - lo] = cubic((j - center + 0.5) / filterscale);
      sum += k[j - lo];
    }
    for (int j = lo; j < hi; ++j) {
      double w = sum != 0.0 ? k[j - lo] / sum : k[j - lo];
      t.weight[static_cast<size_t>(i) * t.ksize + (j - lo)] =
          static_cast<int32_t>(w < 0 ? -0.5 + w * (1 << kPrecisionBits) : 0.5 + w * (1 << kPrecisionBits));
    }
    t.first[i] = lo;
    t.count[i] = hi - lo;
  }
  return t;
}

uint8_t clip8(int32_t acc) {
  int32_t v = acc >> kPrecisionBits;  // arithmetic shift: floor division, as Pillow
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Each row: output x accumulates its taps over the neighbouring input pixels, all channels at once.
Image resize_horizontal(const Image& in, int w) {
  Taps t = make_taps(in.w, w);
  Image out(w, in.h, in.c);
  std::vector<int32_t> acc(in.c);
  for (int y = 0; y < in.h; ++y) {
    const uint8_t* row = &in.px[static_cast<size_t>(y) * in.w * in.c];
    uint8_t* dst = &out.px[static_cast<size_t>(y) * w * in.c];
    for (int x = 0; x < w; ++x) {
      std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
      const int32_t* k = &t.weight[static_cast<size_t>(x) * t.ksize];
      const uint8_t* src = row + static_cast<size_t>(t.first[x]) * in.c;
      for (int j = 0; j < t.count[x]; ++j)
        for (int ch = 0; ch < in.c; ++ch) acc[ch] += src[j * in.c + ch] * k[j];
      for (int ch = 0; ch < in.c; ++ch) dst[x * in.c + ch] = clip8(acc[ch]);
    }
  }
  return out;
}

// Each output row is a weighted sum of whole input rows (integer sums, so the order does not matter).
Image resize_vertical(const Image& in, int h) {
  Taps t = make_taps(in.h, h);
  Image out(in.w, h, in.c);
  size_t row_len = static_cast<size_t>(in.w) * in.c;
  std::vector<int32_t> acc(row_len);
  for (int y = 0; y < h; ++y) {
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const int32_t* k = &t.weight[static_cast<size_t>(y) * t.ksize];
    for (int j = 0; j < t.count[y]; ++j) {
      const uint8_t* src = &in.px[(t.first[y] + j) * row_len];
      for (size_t i = 0; i < row_len; ++i) acc[i] += src[i] * k[j];
    }
    for (size_t i = 0; i < row_len; ++i) out.px[y * row_len + i] = clip8(acc[i]);
  }
  return out;
}

}  // namespace

Image resize_bicubic(const Image& img, int w, int h) {
  P2P_CHECK(w > 0 && h > 0, "resize to " << w << "x" << h << ": the size must be positive");
  P2P_CHECK(img.w > 0 && img.h > 0, "resize of an empty image");
  Image out = img.w != w ? resize_horizontal(img, w) : img;
  return out.h != h ? resize_vertical(out, h) : out;
}

}  // namespace p2p
