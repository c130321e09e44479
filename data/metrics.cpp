// L1, PSNR and SSIM (definitions in metrics.h), computed in double.
#include "data/metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "runtime/check.h"

namespace p2p {
namespace {

void check_same_size(const Image& a, const Image& b, const char* what) {
  P2P_CHECK(a.w == b.w && a.h == b.h && a.c == b.c && a.px.size() == b.px.size(),
            what << ": images differ in size (" << a.w << "x" << a.h << "x" << a.c << " vs " << b.w << "x" << b.h << "x"
                 << b.c << ")");
  P2P_CHECK(!a.px.empty(), what << ": empty images");
}

constexpr int kWindow = 11;

// The 1-D Gaussian, sigma 1.5, normalised; the 2-D window is its outer product (also sum 1).
std::vector<double> gaussian_taps() {
  std::vector<double> g(kWindow);
  double sum = 0;
  for (int i = 0; i < kWindow; ++i) {
    double d = i - kWindow / 2;
    g[i] = std::exp(-d * d / (2 * 1.5 * 1.5));
    sum += g[i];
  }
  for (double& v : g) v /= sum;
  return g;
}

// Valid-position Gaussian filtering of a w x h plane: (w - 10) x (h - 10) outputs, separable.
std::vector<double> filter_valid(const std::vector<double>& p, int w, int h, const std::vector<double>& g) {
  int ow = w - kWindow + 1, oh = h - kWindow + 1;
  std::vector<double> rows(static_cast<size_t>(ow) * h), out(static_cast<size_t>(ow) * oh);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += g[k] * p[static_cast<size_t>(y) * w + x + k];
      rows[static_cast<size_t>(y) * ow + x] = s;
    }
  for (int y = 0; y < oh; ++y)
    for (int x = 0; x < ow; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += g[k] * rows[static_cast<size_t>(y + k) * ow + x];
      out[static_cast<size_t>(y) * ow + x] = s;
    }
  return out;
}

}  // namespace

double mean_l1(const Tensor& a, const Tensor& b) {
  P2P_CHECK(a.shape() == b.shape(),
            "mean_l1: shapes differ (" << shape_str(a.shape()) << " vs " << shape_str(b.shape()) << ")");
  P2P_CHECK(a.numel() > 0, "mean_l1: empty tensors");
  std::vector<float> x = a.to_vector(), y = b.to_vector();
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += std::abs(static_cast<double>(x[i]) - y[i]);
  return sum / x.size();
}

double psnr(const Image& a, const Image& b) {
  check_same_size(a, b, "psnr");
  double se = 0;
  for (size_t i = 0; i < a.px.size(); ++i) {
    double d = static_cast<double>(a.px[i]) - b.px[i];
    se += d * d;
  }
  if (se == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / (se / a.px.size()));
}

double ssim(const Image& a, const Image& b) {
  check_same_size(a, b, "ssim");
  P2P_CHECK(a.w >= kWindow && a.h >= kWindow,
            "ssim: images of " << a.w << "x" << a.h << " are smaller than the 11x11 window");
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  std::vector<double> g = gaussian_taps();
  size_t n = static_cast<size_t>(a.w) * a.h;
  double total = 0;
  for (int ch = 0; ch < a.c; ++ch) {
    std::vector<double> x(n), y(n), xx(n), yy(n), xy(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = a.px[i * a.c + ch];
      y[i] = b.px[i * a.c + ch];
      xx[i] = x[i] * x[i];
      yy[i] = y[i] * y[i];
      xy[i] = x[i] * y[i];
    }
    std::vector<double> mx = filter_valid(x, a.w, a.h, g), my = filter_valid(y, a.w, a.h, g),
                        mxx = filter_valid(xx, a.w, a.h, g), myy = filter_valid(yy, a.w, a.h, g),
                        mxy = filter_valid(xy, a.w, a.h, g);
    double sum = 0;
    for (size_t i = 0; i < mx.size(); ++i) {
      double vx = mxx[i] - mx[i] * mx[i], vy = myy[i] - my[i] * my[i], cxy = mxy[i] - mx[i] * my[i];
      sum += (2 * mx[i] * my[i] + c1) * (2 * cxy + c2) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
    }
    total += sum / mx.size();
  }
  return total / a.c;
}

}  // namespace p2p
