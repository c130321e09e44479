#include "models/layers.h"

namespace p2p {

void chain_sizes(std::vector<ConvLayer>& layers, int h, int w) {
  for (ConvLayer& l : layers) {
    l.h = h;
    l.w = w;
    h = l.out_h();
    w = l.out_w();
  }
}

}  // namespace p2p
