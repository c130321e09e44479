// Images side by side (the training samples and the test report show input | output | target).
#include "runtime/check.h"
#include "tools/commands.h"

namespace p2p {

Image side_by_side(const std::vector<Image>& images) {
  P2P_CHECK(!images.empty(), "side_by_side: no images");
  int w = 0;
  for (const Image& im : images) {
    P2P_CHECK(im.h == images[0].h && im.c == images[0].c, "side_by_side: images of different heights");
    w += im.w;
  }
  Image out(w, images[0].h, images[0].c);
  int x0 = 0;
  for (const Image& im : images) {
    for (int y = 0; y < im.h; ++y)
      for (int x = 0; x < im.w; ++x)
        for (int ch = 0; ch < im.c; ++ch) out.at(x0 + x, y, ch) = im.at(x, y, ch);
    x0 += im.w;
  }
  return out;
}

}  // namespace p2p
