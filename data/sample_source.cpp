// The batch writer shared by the sample sources (see sample_source.h).
#include "data/sample_source.h"

#include "runtime/check.h"

namespace p2p {

namespace {

// image_to_tensor's value for each byte, computed by the same expression, so the table gives its bits.
struct ByteToUnit {
  float v[256];
  ByteToUnit() {
    for (int i = 0; i < 256; ++i) v[i] = (static_cast<uint8_t>(i) / 255.0f - 0.5f) / 0.5f;
  }
};
const ByteToUnit kByteToUnit;

}  // namespace

void write_window(const Image& img, int x0, int y0, int w, int h, bool flip, float* out) {
  const float* lut = kByteToUnit.v;
  const size_t plane = static_cast<size_t>(w) * h;
  if (img.c == 1) {  // a grey image (--input-nc / --output-nc 1): one plane
    for (int y = 0; y < h; ++y) {
      const uint8_t* row = img.px.data() + static_cast<size_t>(y0 + y) * img.w + x0;
      float* r = out + static_cast<size_t>(y) * w;
      for (int x = 0; x < w; ++x) r[x] = lut[row[flip ? w - 1 - x : x]];
    }
    return;
  }
  P2P_CHECK(img.c == 3, "write_window: expected 1 or 3 channels, got " << img.c);
  for (int y = 0; y < h; ++y) {
    const uint8_t* row = img.px.data() + (static_cast<size_t>(y0 + y) * img.w + x0) * 3;
    float* r = out + static_cast<size_t>(y) * w;
    float* g = r + plane;
    float* b = g + plane;
    if (flip) {
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = row + static_cast<size_t>(w - 1 - x) * 3;
        r[x] = lut[p[0]];
        g[x] = lut[p[1]];
        b[x] = lut[p[2]];
      }
    } else {
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = row + static_cast<size_t>(x) * 3;
        r[x] = lut[p[0]];
        g[x] = lut[p[1]];
        b[x] = lut[p[2]];
      }
    }
  }
}

}  // namespace p2p
