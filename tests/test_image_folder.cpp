// The image folder (data/image_folder.h), the Loader over it, the synthetic single images and the
// grid writer (data/grid.h).
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/grid.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/synthetic.h"
#include "tests/data_fixtures.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * size_t(a.numel())) == 0;
}
ImageFolderOptions options(const std::string& root, int size) {
  ImageFolderOptions o;
  o.root = root;
  o.image_size = size;
  return o;
}
}  // namespace

TEST_CASE("synthetic single images are a function of (size, seed, index)", "[noise][data]") {
  const Image a = synthetic_single(32, 1, 4), b = synthetic_single(32, 1, 4), c = synthetic_single(32, 1, 5);
  CHECK(a.px == b.px);
  CHECK(a.px != c.px);
  CHECK((a.w == 32 && a.h == 32));
}

TEST_CASE("image folder: recursive and sorted, resize of the short side, centre crop", "[noise][data]") {
  TempDir dir("image_folder");
  write_synthetic_images(dir.file("b"), 3, 24, 1);
  write_synthetic_images(dir.file("a/deeper"), 2, 24, 2);
  Image wide(40, 20);
  for (size_t i = 0; i < wide.px.size(); ++i) wide.px[i] = static_cast<uint8_t>(i * 7 % 251);
  save_png(dir.file("wide.png"), wide);
  { std::ofstream(dir.file("notes.txt")) << "not an image, not listed"; }
  ImageFolder f(options(dir.path(), 16));
  REQUIRE(f.size() == 6);
  CHECK(f.files()[0] == dir.file("a/deeper/000000.png"));
  CHECK(f.files()[5] == dir.file("wide.png"));
  CHECK(f.scan().empty());
  // 40x20 -> 32x16 (short side 16), then columns 8..23.
  CHECK(same(f.get(5, 0), image_to_tensor(crop(resize_bicubic(wide, 32, 16), 8, 0, 16, 16))));
  // A square image: resized to 16x16, nothing cropped.
  CHECK(same(f.get(2, 0), image_to_tensor(resize_bicubic(synthetic_single(24, 1, 0), 16, 16))));
}

TEST_CASE("image folder: one half of AB pairs, flips from (seed, epoch, index), the cache", "[noise][data]") {
  TempDir dir("image_folder_half");
  write_synthetic_dataset(dir.path(), 4, 0, 32, 5);
  ImageFolderOptions o = options(dir.path(), 32);
  o.half = "left";
  ImageFolder left(o);
  o.half = "right";
  ImageFolder right(o);
  const SyntheticPair p = make_synthetic_pair(32, 5, 2);
  CHECK(same(left.get(2, 0), image_to_tensor(p.photo)));
  CHECK(same(right.get(2, 0), image_to_tensor(p.labels)));

  o.half = "left";
  o.flip = true;
  o.cache_bytes = 1 << 20;
  ImageFolder flipping(o);
  int flipped = 0;
  for (uint64_t epoch = 0; epoch < 8; ++epoch) {
    const Halves h{};
    const bool flip = flipping.augment(h, 1, epoch).flip;
    CHECK(flip == flipping.augment(h, 1, epoch).flip);
    flipped += flip;
    CHECK(same(flipping.get(1, epoch), image_to_tensor(flip ? flip_horizontal(make_synthetic_pair(32, 5, 1).photo)
                                                            : make_synthetic_pair(32, 5, 1).photo)));
  }
  CHECK((flipped > 0 && flipped < 8));
  CHECK(flipping.cache()->count() == 1);  // decoded once, then served from the cache
}

TEST_CASE("image folder batches through the Loader, A only", "[noise][data]") {
  TempDir dir("image_folder_loader");
  write_synthetic_images(dir.path(), 5, 16, 3);
  ImageFolder f(options(dir.path(), 16));
  Loader loader(f, 2, /*shuffle=*/true, /*threads=*/2, /*prefetch=*/2);
  loader.start_epoch(1);
  Batch b;
  size_t seen = 0;
  while (loader.next(b)) {
    CHECK(!b.B.defined());
    for (int i = 0; i < b.A.n(); ++i) CHECK(same(b.A.batch(i), f.get(loader.order()[seen + i], 1)));
    seen += b.A.n();
  }
  CHECK(seen == 5);
}

TEST_CASE("image folder errors name the folder or the file", "[noise][data]") {
  TempDir dir("image_folder_bad");
  CHECK_THROWS_WITH(ImageFolder(options(dir.file("missing"), 16)), Catch::Contains("no such folder"));
  std::filesystem::create_directories(dir.file("empty/sub"));
  CHECK_THROWS_WITH(ImageFolder(options(dir.file("empty"), 16)), Catch::Contains("no images"));
  CHECK_THROWS_WITH(ImageFolder(options(dir.path(), 0)), Catch::Contains("--image-size 0 must be > 0"));
  write_synthetic_images(dir.file("set"), 1, 16, 1);
  { std::ofstream(dir.file("set/broken.png")) << "this is text, not a PNG"; }
  save_png(dir.file("set/odd.png"), Image(15, 8));
  ImageFolder f(options(dir.file("set"), 16));
  REQUIRE(f.size() == 3);
  CHECK(f.scan().size() == 1);
  CHECK(f.scan()[0].path == dir.file("set/broken.png"));
  CHECK_THROWS_WITH(f.get(1, 0), Catch::Contains("broken.png"));
  ImageFolderOptions o = options(dir.file("set"), 16);
  o.half = "left";
  ImageFolder halves(o);
  CHECK(halves.scan().size() == 2);  // the broken file and the odd width
  CHECK_THROWS_WITH(halves.get(2, 0), Catch::Contains("odd.png' (15x8) has no left half"));
  o.half = "top";
  CHECK_THROWS_WITH(ImageFolder(o), Catch::Contains("--half: unknown value 'top'"));
  // Not an error: an image smaller than the size (8x6 for 16) is resized up like any other, to 21x16.
  std::filesystem::create_directories(dir.file("tiny"));
  save_png(dir.file("tiny/tiny.png"), Image(8, 6));
  CHECK(same(ImageFolder(options(dir.file("tiny"), 16)).get(0, 0),
             image_to_tensor(crop(resize_bicubic(Image(8, 6), 21, 16), 2, 0, 16, 16))));  // round(2.5) = 2
}

TEST_CASE("grid: 64 images make 8 x 8 tiles with a white gap", "[noise][data]") {
  Tensor t({64, 3, 4, 4});
  for (int k = 0; k < 64; ++k) t.batch(k).fill(-1.0f + 2.0f * k / 63.0f);
  const Image g = make_grid(t, 0, 2);
  CHECK((g.w == 8 * 6 + 2 && g.h == 8 * 6 + 2));
  CHECK(g.at(0, 0, 0) == 255);                                    // border
  CHECK(g.at(2, 2, 1) == 0);                                      // tile 0 (value -1)
  CHECK(g.at(2 + 6 * 7 + 3, 2 + 6 * 7 + 3, 2) == 255);            // tile 63 (value 1), its last pixel
  CHECK(g.at(2 + 6, 2, 0) == tensor_to_image(t, 1).at(0, 0, 0));  // tile 1, right of tile 0
  CHECK(g.at(6, 3, 0) == 255);                                    // the gap between them
  const Image three = make_grid(t.slice(0, {3, 3, 4, 4}));        // ceil(sqrt(3)) = 2 columns, 2 rows
  CHECK((three.w == 2 * 6 + 2 && three.h == 2 * 6 + 2));
  TempDir dir("grid");
  save_grid(dir.file("g.png"), t);
  CHECK(load_image(dir.file("g.png")).px == g.px);
  CHECK_THROWS_WITH(make_grid(Tensor({2, 1, 4, 4})), Catch::Contains("expected [N, 3, H, W]"));
}
