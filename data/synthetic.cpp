// Procedural facade pairs: a random rectangle layout painted as a label map, then rendered as a photo.
#include "data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "runtime/check.h"
#include "runtime/philox.h"

namespace p2p {
namespace {

constexpr uint64_t kSyntheticKey = 0x73796e7468657431ull;  // "synthet1"

// Successive Philox words of one image's stream.
class Draws {
 public:
  Draws(uint64_t seed, uint64_t index, uint64_t first = 0) : key_(seed ^ kSyntheticKey), index_(index), n_(first) {}
  // Uniform integer in [lo, hi].
  int range(int lo, int hi) { return lo + static_cast<int>(word() % static_cast<uint32_t>(hi - lo + 1)); }
  bool chance(int percent) { return range(0, 99) < percent; }

 private:
  uint32_t word() {
    uint64_t i = n_++;
    return philox4x32_10(i >> 2, index_, key_).v[i & 3];
  }
  uint64_t key_, index_, n_;
};

using ClassMap = std::vector<FacadeClass>;  // size * size, row-major

void fill(ClassMap& m, int size, int x0, int y0, int x1, int y1, FacadeClass c) {
  for (int y = std::max(y0, 0); y < std::min(y1, size); ++y)
    for (int x = std::max(x0, 0); x < std::min(x1, size); ++x) m[static_cast<size_t>(y) * size + x] = c;
}

ClassMap make_layout(int size, uint64_t seed, uint64_t index) {
  Draws r(seed, index);
  ClassMap m(static_cast<size_t>(size) * size, FacadeClass::sky);
  int s = size;
  int left = r.range(0, s / 10), right = s - r.range(0, s / 10), top = r.range(s / 20, s / 5);
  fill(m, s, left, top, right, s, FacadeClass::facade);
  int cornice_h = std::max(2, r.range(s / 40, s / 20));
  fill(m, s, left, top, right, top + cornice_h, FacadeClass::cornice);

  int floors = r.range(3, 5), cols = r.range(3, 6);
  int y_start = top + cornice_h, floor_h = (s - y_start) / floors, col_w = (right - left) / cols;
  int win_w = std::max(2, col_w * r.range(40, 60) / 100), win_h = std::max(2, floor_h * r.range(45, 60) / 100);
  int sill_h = std::max(1, s / 100), door_col = r.range(0, cols - 1);
  for (int f = 0; f < floors; ++f) {
    bool ground = f == floors - 1;
    int fy = y_start + f * floor_h;
    int wy = fy + (floor_h - win_h) / 3;
    for (int c = 0; c < cols; ++c) {
      int cx = left + c * col_w + col_w / 2;
      if (ground && c == door_col) {
        int dw = std::max(2, col_w * 55 / 100);
        fill(m, s, cx - dw / 2, fy + floor_h / 5, cx + (dw + 1) / 2, s, FacadeClass::door);
        continue;
      }
      fill(m, s, cx - win_w / 2, wy, cx + (win_w + 1) / 2, wy + win_h, FacadeClass::window);
      fill(m, s, cx - win_w / 2 - 1, wy + win_h, cx + (win_w + 1) / 2 + 1, wy + win_h + sill_h, FacadeClass::sill);
    }
    if (!ground && f > 0 && r.chance(35)) {
      int bh = std::max(2, floor_h / 5);
      fill(m, s, left + col_w / 4, wy + win_h - bh, right - col_w / 4, wy + win_h + sill_h, FacadeClass::balcony);
    }
  }
  return m;
}

// Mild noise in [-6, 6], a function of the position only.
int pixel_noise(int x, int y) {
  return static_cast<int>(
             philox4x32_10(static_cast<uint64_t>(y) << 32 | static_cast<uint32_t>(x), 0, kSyntheticKey).v[0] % 13) -
         6;
}

// True when some pixel within distance d (Chebyshev) of (x, y) is not of class c.
bool near_edge(const ClassMap& m, int size, int x, int y, int d, FacadeClass c) {
  for (int dy = -d; dy <= d; ++dy)
    for (int dx = -d; dx <= d; ++dx) {
      int u = x + dx, v = y + dy;
      if (u < 0 || v < 0 || u >= size || v >= size || m[static_cast<size_t>(v) * size + u] != c) return true;
    }
  return false;
}

// The photo colour at (x, y), from the label map around it.
void render(const ClassMap& m, int size, int x, int y, uint8_t out[3]) {
  FacadeClass c = m[static_cast<size_t>(y) * size + x];
  double t = static_cast<double>(y) / size;  // 0 at the top
  double rgb[3];
  auto set = [&](double r, double g, double b) {
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
  };
  switch (c) {
    case FacadeClass::sky:
      set(120 + 60 * t, 160 + 50 * t, 220);
      break;
    case FacadeClass::facade:
      set(215 - 40 * t, 195 - 40 * t, 165 - 35 * t);
      break;
    case FacadeClass::cornice:
      set(150, 140, 125);
      break;
    case FacadeClass::window:
      if (near_edge(m, size, x, y, 1, c))
        set(235, 232, 225);  // frame
      else
        set(45 + 40 * t, 55 + 40 * t, 75 + 30 * t);  // glass, reflecting the sky
      break;
    case FacadeClass::sill:
      set(225, 220, 210);
      break;
    case FacadeClass::balcony:
      if (x % 5 < 2)
        set(60, 60, 65);
      else
        set(130, 130, 138);  // railing bars
      break;
    case FacadeClass::door:
      if (x % 6 == 0)
        set(70, 40, 20);
      else
        set(115, 72, 42);  // planks
      break;
    default:
      set(0, 0, 0);
  }
  int noise = pixel_noise(x, y);
  for (int ch = 0; ch < 3; ++ch) out[ch] = static_cast<uint8_t>(std::clamp(std::lround(rgb[ch]) + noise, 0L, 255L));
}

}  // namespace

void class_color(FacadeClass c, uint8_t rgb[3]) {
  static const uint8_t palette[][3] = {
      {0, 0, 170},     // sky (background)
      {0, 85, 255},    // facade
      {255, 85, 0},    // cornice
      {0, 170, 255},   // window
      {85, 255, 170},  // sill
      {170, 255, 85},  // balcony
      {255, 170, 0},   // door
  };
  int i = static_cast<int>(c);
  P2P_CHECK(c < FacadeClass::count, "class_color: no class " << i);
  for (int ch = 0; ch < 3; ++ch) rgb[ch] = palette[i][ch];
}

SyntheticPair make_synthetic_pair(int size, uint64_t seed, uint64_t index) {
  P2P_CHECK(size >= 16, "synthetic image size " << size << " must be at least 16");
  ClassMap m = make_layout(size, seed, index);
  SyntheticPair p{Image(size, size), Image(size, size)};
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      class_color(m[static_cast<size_t>(y) * size + x], &p.labels.at(x, y, 0));
      render(m, size, x, y, &p.photo.at(x, y, 0));
    }
  return p;
}

Image synthetic_ab(int size, uint64_t seed, uint64_t index) {
  SyntheticPair p = make_synthetic_pair(size, seed, index);
  Image ab(2 * size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        ab.at(x, y, ch) = p.photo.at(x, y, ch);
        ab.at(size + x, y, ch) = p.labels.at(x, y, ch);
      }
  return ab;
}

namespace {
// The unpaired images read their draws from 2^32 on: apart from the pairs' layouts of the same index.
constexpr uint64_t kSingleDraws = uint64_t(1) << 32;

void random_color(Draws& r, int rgb[3]) {
  for (int ch = 0; ch < 3; ++ch) rgb[ch] = r.range(0, 255);
}
}  // namespace

Image synthetic_single(int size, uint64_t seed, uint64_t index) {
  P2P_CHECK(size >= 8, "synthetic image size " << size << " must be at least 8");
  Draws r(seed, index, kSingleDraws);
  int c0[3], c1[3];
  random_color(r, c0);
  random_color(r, c1);
  const bool stripes = r.chance(50);
  const int period = r.range(4, std::max(4, size / 3));
  Image img(size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double t = stripes ? ((x + y) % period < period / 2 ? 0.0 : 1.0) : double(y) / (size - 1);
      for (int ch = 0; ch < 3; ++ch)
        img.at(x, y, ch) = static_cast<uint8_t>(std::lround(c0[ch] + t * (c1[ch] - c0[ch])));
    }
  const int shapes = r.range(2, 4);
  for (int k = 0; k < shapes; ++k) {
    int c[3];
    random_color(r, c);
    const bool disc = r.chance(50);
    const int cx = r.range(0, size - 1), cy = r.range(0, size - 1), rx = r.range(size / 10 + 1, size / 4 + 1),
              ry = disc ? rx : r.range(size / 10 + 1, size / 4 + 1);
    for (int y = std::max(0, cy - ry); y <= std::min(size - 1, cy + ry); ++y)
      for (int x = std::max(0, cx - rx); x <= std::min(size - 1, cx + rx); ++x) {
        if (disc && (x - cx) * (x - cx) + (y - cy) * (y - cy) > rx * rx) continue;
        for (int ch = 0; ch < 3; ++ch) img.at(x, y, ch) = static_cast<uint8_t>(c[ch]);
      }
  }
  return img;
}

void write_synthetic_images(const std::string& dir, int n, int size, uint64_t seed) {
  P2P_CHECK(n >= 0, "synthetic images: count " << n << " must be >= 0");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  P2P_CHECK(!ec, "cannot create folder '" << dir << "': " << ec.message());
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%06d.png", i);
    save_png((std::filesystem::path(dir) / name).string(), synthetic_single(size, seed, i));
  }
}

void write_synthetic_dataset(const std::string& dir, int n_train, int n_test, int size, uint64_t seed) {
  P2P_CHECK(n_train >= 0 && n_test >= 0, "synthetic dataset: counts " << n_train << ", " << n_test << " must be >= 0");
  int index = 0;
  for (auto [phase, count] : {std::pair<const char*, int>{"train", n_train}, {"test", n_test}}) {
    std::filesystem::path folder = std::filesystem::path(dir) / phase;
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    P2P_CHECK(!ec, "cannot create folder '" << folder.string() << "': " << ec.message());
    for (int i = 0; i < count; ++i, ++index) {
      char name[32];
      std::snprintf(name, sizeof(name), "%06d.png", index);
      save_png((folder / name).string(), synthetic_ab(size, seed, index));
    }
  }
}

}  // namespace p2p
