#include "data/grid.h"

#include <cmath>
#include <cstring>

#include "runtime/check.h"

namespace p2p {

Image make_grid(const Tensor& images, int columns, int gap) {
  P2P_CHECK(images.rank() == 4 && images.n() > 0 && images.c() == 3,
            "image grid: expected [N, 3, H, W] with N > 0, got " << shape_str(images.shape()));
  P2P_CHECK(columns >= 0 && gap >= 0, "image grid: columns " << columns << " and gap " << gap << " must be >= 0");
  const int n = images.n(), h = images.h(), w = images.w();
  const int cols = columns > 0 ? columns : static_cast<int>(std::ceil(std::sqrt(double(n)) - 1e-9));
  const int rows = (n + cols - 1) / cols;
  const Tensor host = images.device() == Device::CPU ? images : images.to(Device::CPU);
  Image grid(cols * (w + gap) + gap, rows * (h + gap) + gap);
  std::memset(grid.px.data(), 255, grid.px.size());
  for (int k = 0; k < n; ++k) {
    const Image tile = tensor_to_image(host, k);
    const int x0 = gap + (k % cols) * (w + gap), y0 = gap + (k / cols) * (h + gap);
    for (int y = 0; y < h; ++y)
      std::memcpy(&grid.at(x0, y0 + y, 0), &tile.px[static_cast<size_t>(y) * w * 3], static_cast<size_t>(w) * 3);
  }
  return grid;
}

void save_grid(const std::string& path, const Tensor& images, int columns, int gap) {
  save_png(path, make_grid(images, columns, gap));
}

}  // namespace p2p
