// data/synthetic, data/aligned_dataset and data/loader: the AB split and direction, deterministic
// augmentation shared by A and B, the loader's order (independent of threads, resumable mid-epoch),
// worker errors, every bad-input error, and the real facades set when it is present.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "data/aligned_dataset.h"
#include "data/image.h"
#include "data/loader.h"
#include "data/synthetic.h"
#include "data/unaligned_dataset.h"
#include "runtime/check.h"
#include "tests/data_fixtures.h"

using namespace p2p;
namespace fs = std::filesystem;

namespace {

constexpr int kSize = 32;  // synthetic images: small keeps the tests fast

DatasetOptions synthetic_options(const std::string& root) {
  DatasetOptions o;
  o.dataroot = root;
  o.load_size = 40;
  o.crop_size = 32;
  o.seed = 11;
  return o;
}

// Apply an augmentation by hand: the reference for AlignedDataset::get.
Image augmented(const Image& half, int load, int crop_size, const Augment& aug) {
  Image r = crop(resize_bicubic(half, load, load), aug.x, aug.y, crop_size, crop_size);
  return aug.flip ? flip_horizontal(r) : r;
}

bool same(const Tensor& a, const Tensor& b) { return a.shape() == b.shape() && a.to_vector() == b.to_vector(); }

std::vector<Batch> whole_epoch(Loader& loader, uint64_t epoch, size_t first_batch = 0) {
  loader.start_epoch(epoch, first_batch);
  std::vector<Batch> out;
  Batch b;
  while (loader.next(b)) out.push_back(b);
  return out;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("synthetic pairs: deterministic, palette labels, photo a function of the labels", "[data][synthetic]") {
  SyntheticPair p = make_synthetic_pair(64, 3, 0), q = make_synthetic_pair(64, 3, 0);
  CHECK(p.photo.px == q.photo.px);
  CHECK(p.labels.px == q.labels.px);
  SyntheticPair other = make_synthetic_pair(64, 3, 1), reseeded = make_synthetic_pair(64, 4, 0);
  CHECK(other.labels.px != p.labels.px);
  CHECK(reseeded.labels.px != p.labels.px);

  // Labels use only the palette, and a facade has windows on a wall.
  std::set<std::vector<uint8_t>> palette, seen;
  for (int c = 0; c < static_cast<int>(FacadeClass::count); ++c) {
    std::vector<uint8_t> rgb(3);
    class_color(static_cast<FacadeClass>(c), rgb.data());
    palette.insert(rgb);
  }
  for (size_t i = 0; i < p.labels.px.size(); i += 3) seen.insert({&p.labels.px[i], &p.labels.px[i] + 3});
  for (const auto& rgb : seen) CHECK(palette.count(rgb) == 1);
  std::vector<uint8_t> window(3), facade(3);
  class_color(FacadeClass::window, window.data());
  class_color(FacadeClass::facade, facade.data());
  CHECK(seen.count(window) == 1);
  CHECK(seen.count(facade) == 1);

  // Wherever two different layouts agree on the 5x5 label neighbourhood, the photos agree.
  int agreeing = 0;
  for (uint64_t k = 1; k <= 4; ++k) {
    SyntheticPair o = make_synthetic_pair(64, 3, k);
    for (int y = 2; y < 62; ++y)
      for (int x = 2; x < 62; ++x) {
        bool match = true;
        for (int dy = -2; dy <= 2 && match; ++dy)
          for (int dx = -2; dx <= 2 && match; ++dx)
            for (int c = 0; c < 3; ++c)
              match = match && p.labels.at(x + dx, y + dy, c) == o.labels.at(x + dx, y + dy, c);
        if (!match) continue;
        ++agreeing;
        for (int c = 0; c < 3; ++c) REQUIRE(p.photo.at(x, y, c) == o.photo.at(x, y, c));
      }
  }
  CHECK(agreeing > 500);  // the check above ran on enough pixels to mean something
  CHECK_THROWS_WITH(make_synthetic_pair(8, 0, 0), Catch::Contains("at least 16"));
}

TEST_CASE("write_synthetic_dataset writes sorted AB files that load back exactly", "[data][synthetic]") {
  testing::TempDir dir("synthetic_write");
  write_synthetic_dataset(dir.path(), 3, 2, kSize, 5);
  std::vector<std::string> train = list_images(dir.file("train")), test = list_images(dir.file("test"));
  REQUIRE(train.size() == 3);
  REQUIRE(test.size() == 2);
  CHECK(fs::path(train[0]).filename() == "000000.png");
  CHECK(fs::path(test[0]).filename() == "000003.png");
  Image back = load_image(test[1]);
  CHECK(back.w == 2 * kSize);
  CHECK(back.h == kSize);
  CHECK(back.px == synthetic_ab(kSize, 5, 4).px);
}

TEST_CASE("aligned dataset: A is the left half, B the right, --direction swaps them", "[data][dataset]") {
  testing::TempDir dir("dataset_split");
  write_synthetic_dataset(dir.path(), 2, 0, kSize, 1);
  DatasetOptions o = synthetic_options(dir.path());
  o.preprocess = "none";
  o.flip = false;
  AlignedDataset ab(o);
  REQUIRE(ab.size() == 2);
  CHECK(ab.folder() == dir.file("train"));
  SyntheticPair p = make_synthetic_pair(kSize, 1, 1);
  AlignedDataset::Sample s = ab.get(1, 0);
  CHECK(same(s.A, image_to_tensor(p.photo)));
  CHECK(same(s.B, image_to_tensor(p.labels)));
  CHECK(s.path == dir.file("train/000001.png"));

  o.direction = "BtoA";
  AlignedDataset ba(o);
  AlignedDataset::Sample t = ba.get(1, 0);
  CHECK(same(t.A, image_to_tensor(p.labels)));
  CHECK(same(t.B, image_to_tensor(p.photo)));

  // A folder that holds the images directly also works (no phase subfolder).
  o.dataroot = dir.file("train");
  CHECK(AlignedDataset(o).size() == 2);
}

// The [1, 1, H, W] tensor of a grey image: image_to_tensor's value of each byte.
Tensor grey_tensor(const Image& g) {
  std::vector<float> v;
  for (uint8_t b : g.px) v.push_back((b / 255.0f - 0.5f) / 0.5f);
  return Tensor::from_vector({1, 1, g.h, g.w}, v);
}

TEST_CASE("grey sides: A or B loads as one channel of Pillow's L, before the resize", "[data][dataset]") {
  testing::TempDir dir("dataset_grey");
  write_synthetic_dataset(dir.path(), 2, 0, kSize, 1);
  DatasetOptions o = synthetic_options(dir.path());
  o.preprocess = "none";
  o.flip = false;
  o.direction = "BtoA";  // A is the right half (labels), B the left (photo)
  o.grey_A = true;
  const SyntheticPair p = make_synthetic_pair(kSize, 1, 1);
  AlignedDataset::Sample s = AlignedDataset(o).get(1, 0);
  CHECK(same(s.A, grey_tensor(to_grey(p.labels))));
  CHECK(same(s.B, image_to_tensor(p.photo)));
  o.grey_A = false;
  o.grey_B = true;
  s = AlignedDataset(o).get(1, 0);
  CHECK(same(s.A, image_to_tensor(p.labels)));
  CHECK(same(s.B, grey_tensor(to_grey(p.photo))));

  // Resized and cropped, through the loader, with and without the cache: the grey image is resized
  // (the official Grayscale comes first in get_transform), and B's batch has one channel.
  o.preprocess = "resize_and_crop";
  o.flip = true;
  std::vector<Tensor> first;
  for (size_t cache : {size_t{0}, size_t{1} << 20}) {
    o.cache_bytes = cache;
    AlignedDataset ds(o);
    const AlignedDataset::Sample g = ds.get(0, 3);
    const Image want = augmented(to_grey(make_synthetic_pair(kSize, 1, 0).photo), o.load_size, o.crop_size, g.augment);
    CHECK(same(g.B, grey_tensor(want)));
    Loader loader(ds, 2, /*shuffle=*/false, /*threads=*/1, 2);
    loader.start_epoch(3);
    Batch b;
    REQUIRE(loader.next(b));
    CHECK(b.A.shape() == Shape{2, 3, 32, 32});
    CHECK(b.B.shape() == Shape{2, 1, 32, 32});
    first.push_back(b.B);
  }
  CHECK(same(first[0], first[1]));
}

TEST_CASE("split AB files: both domains read one decoded entry per file", "[data][dataset][cache]") {
  testing::TempDir dir("dataset_split_once");
  write_synthetic_dataset(dir.path(), 3, 0, kSize, 1);
  DatasetOptions o = synthetic_options(dir.path());
  o.grey_B = true;  // the domains' entries must agree on which half is grey, whichever decodes first
  o.direction = "BtoA";
  o.cache_bytes = size_t{1} << 20;
  UnalignedDataset cached(o, /*split=*/true, /*serial=*/true);
  REQUIRE(cached.domain_a().prefill(1).empty());
  const PairCache* cache = cached.domain_a().cache();
  REQUIRE(cache == cached.domain_b().cache());
  CHECK(cache->count() == 3);  // both halves of each file, once
  for (size_t i = 0; i < 3; ++i) CHECK(cached.domain_b().halves(i) == cached.domain_a().halves(i));
  CHECK(cache->count() == 3);
  // The same samples as two domains that decode on their own (no cache): A the right halves in RGB,
  // B the left in grey.
  o.cache_bytes = 0;
  UnalignedDataset plain(o, true, true);
  for (size_t i = 0; i < 3; ++i) {
    Tensor a[2], b[2];
    int k = 0;
    for (UnalignedDataset* ds : {&cached, &plain}) {
      const SampleSource::Prepared p = ds->prepare(i, 2);
      a[k] = Tensor(p.shape);
      b[k] = Tensor(p.shape_b);
      p.write(a[k].data(), b[k].data());
      ++k;
    }
    CHECK(a[0].c() == 3);
    CHECK(b[0].c() == 1);
    CHECK(same(a[0], a[1]));
    CHECK(same(b[0], b[1]));
  }
}

TEST_CASE("augmentation: deterministic per (seed, epoch, index), shared by A and B", "[data][dataset]") {
  testing::TempDir dir("dataset_augment");
  write_synthetic_dataset(dir.path(), 4, 0, kSize, 2);
  DatasetOptions o = synthetic_options(dir.path());
  AlignedDataset ds(o);
  std::set<int> xs, ys;
  std::set<bool> flips;
  for (uint64_t epoch = 0; epoch < 4; ++epoch)
    for (size_t i = 0; i < ds.size(); ++i) {
      AlignedDataset::Sample s = ds.get(i, epoch), again = ds.get(i, epoch);
      CHECK(same(s.A, again.A));
      CHECK(same(s.B, again.B));
      REQUIRE(s.A.shape() == Shape{1, 3, 32, 32});
      CHECK((s.augment.x >= 0 && s.augment.x <= 8 && s.augment.y >= 0 && s.augment.y <= 8));
      xs.insert(s.augment.x);
      ys.insert(s.augment.y);
      flips.insert(s.augment.flip);
      // A and B both equal their half put through the same resize, crop and flip.
      SyntheticPair p = make_synthetic_pair(kSize, 2, i);
      CHECK(same(s.A, image_to_tensor(augmented(p.photo, 40, 32, s.augment))));
      CHECK(same(s.B, image_to_tensor(augmented(p.labels, 40, 32, s.augment))));
      for (float v : s.A.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
      for (float v : s.B.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
    }
  CHECK(xs.size() > 3);  // 16 draws over 9 possible offsets
  CHECK(ys.size() > 3);
  CHECK(flips.size() == 2);

  // Another seed gives other augmentations; flip off never flips.
  o.seed = 12;
  AlignedDataset reseeded(o);
  int differ = 0;
  for (size_t i = 0; i < ds.size(); ++i) differ += !same(reseeded.get(i, 0).A, ds.get(i, 0).A);
  CHECK(differ > 0);
  o.flip = false;
  AlignedDataset no_flip(o);
  for (uint64_t e = 0; e < 4; ++e) CHECK_FALSE(no_flip.get(0, e).augment.flip);
}

TEST_CASE("scale_width preprocessing keeps the aspect ratio", "[data][dataset]") {
  testing::TempDir dir("dataset_scale_width");
  fs::create_directories(dir.file("train"));
  Image ab(2 * 40, 20);  // two 40x20 halves
  save_png(dir.file("train/wide.png"), ab);
  DatasetOptions o = synthetic_options(dir.path());
  o.preprocess = "scale_width";
  o.load_size = 24;
  o.crop_size = 8;
  CHECK(AlignedDataset(o).get(0, 0).A.shape() == Shape{1, 3, 12, 24});
  o.preprocess = "scale_width_and_crop";
  CHECK(AlignedDataset(o).get(0, 0).B.shape() == Shape{1, 3, 8, 8});
  o.preprocess = "crop";
  CHECK(AlignedDataset(o).get(0, 0).A.shape() == Shape{1, 3, 8, 8});

  // A 1-pixel-wide half 4096 tall scales to 4096 x 16.8M: refused by name before any resize.
  testing::TempDir thin("dataset_scale_width_thin");
  fs::create_directories(thin.file("train"));
  save_png(thin.file("train/thin.png"), Image(2, 4096));
  o = synthetic_options(thin.path());
  o.preprocess = "scale_width";
  o.load_size = 4096;
  CHECK_THROWS_WITH(AlignedDataset(o).get(0, 0),
                    Catch::Contains("thin.png") && Catch::Contains("over the limit of 64 megapixels"));
}

TEST_CASE("loader: order fixed by the seed, independent of the thread count", "[data][loader]") {
  testing::TempDir dir("loader_order");
  write_synthetic_dataset(dir.path(), 7, 0, kSize, 3);
  AlignedDataset ds(synthetic_options(dir.path()));

  Loader serial(ds, 3, true, 0, 1);
  CHECK(serial.batches_per_epoch() == 3);
  std::vector<Batch> ref = whole_epoch(serial, 2);
  REQUIRE(ref.size() == 3);
  CHECK(ref[0].A.shape() == Shape{3, 3, 32, 32});
  CHECK(ref[2].A.shape() == Shape{1, 3, 32, 32});  // the last, partial batch is kept

  // The order is a permutation of the files, a different one per epoch.
  std::vector<size_t> perm = epoch_permutation(7, 11, 2);
  std::set<size_t> all(perm.begin(), perm.end());
  CHECK(all.size() == 7);
  CHECK(perm != epoch_permutation(7, 11, 3));
  CHECK(serial.order() == perm);
  for (size_t i = 0; i < 7; ++i) CHECK(ref[i / 3].paths[i % 3] == ds.files()[perm[i]]);
  // Each batch item is the dataset's sample for this epoch.
  CHECK(same(ref[1].B.batch(2), ds.get(perm[5], 2).B));

  for (int threads : {1, 2, 4}) {
    Loader loader(ds, 3, true, threads, 2);
    std::vector<Batch> got = whole_epoch(loader, 2);
    REQUIRE(got.size() == ref.size());
    for (size_t k = 0; k < got.size(); ++k) {
      CHECK(got[k].paths == ref[k].paths);
      CHECK(same(got[k].A, ref[k].A));
      CHECK(same(got[k].B, ref[k].B));
    }
  }

  Loader sorted(ds, 7, false, 2, 1);
  CHECK(whole_epoch(sorted, 0)[0].paths == ds.files());
}

TEST_CASE("loader: starting mid-epoch gives the tail of the full epoch", "[data][loader]") {
  testing::TempDir dir("loader_resume");
  write_synthetic_dataset(dir.path(), 5, 0, kSize, 4);
  AlignedDataset ds(synthetic_options(dir.path()));
  Loader loader(ds, 2, true, 2, 3);
  std::vector<Batch> full = whole_epoch(loader, 6);
  REQUIRE(full.size() == 3);
  for (size_t first = 0; first <= 3; ++first) {
    std::vector<Batch> tail = whole_epoch(loader, 6, first);
    REQUIRE(tail.size() == 3 - first);
    for (size_t k = 0; k < tail.size(); ++k) {
      CHECK(tail[k].paths == full[first + k].paths);
      CHECK(same(tail[k].A, full[first + k].A));
    }
  }
  CHECK_THROWS_WITH(loader.start_epoch(6, 4), Catch::Contains("past the epoch"));

  // Stopping early and restarting or destroying never hangs.
  loader.start_epoch(7);
  Batch b;
  CHECK(loader.next(b));
  loader.start_epoch(8);
  CHECK(loader.next(b));
}

TEST_CASE("loader: a worker's error surfaces from next() with the file name", "[data][loader][errors]") {
  testing::TempDir dir("loader_error");
  write_synthetic_dataset(dir.path(), 4, 0, kSize, 5);
  write_text(dir.file("train/000002.png"), "corrupt");
  DatasetOptions o = synthetic_options(dir.path());
  AlignedDataset ds(o);
  for (int threads : {0, 2}) {
    Loader loader(ds, 1, false, threads, 2);
    loader.start_epoch(0);
    Batch b;
    CHECK(loader.next(b));
    CHECK(loader.next(b));
    CHECK_THROWS_WITH(loader.next(b), Catch::Contains("000002.png") && Catch::Contains("cannot decode"));
    CHECK(loader.next(b));  // the loader goes on after the failed batch
    CHECK(b.paths[0] == dir.file("train/000003.png"));
    CHECK_FALSE(loader.next(b));
  }
  Loader unstarted(ds, 1, false, 1, 1);
  Batch b;
  CHECK_THROWS_WITH(unstarted.next(b), Catch::Contains("before start_epoch"));
}

TEST_CASE("dataset and loader: each bad input gives its error", "[data][dataset][errors]") {
  testing::TempDir dir("dataset_errors");
  DatasetOptions o = synthetic_options(dir.file("nowhere"));
  CHECK_THROWS_WITH(AlignedDataset(o),
                    Catch::Contains("--dataroot") && Catch::Contains("nowhere") && Catch::Contains("no such folder"));
  o.dataroot = "";
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("--dataroot is not set"));
  fs::create_directories(dir.file("empty/train"));
  o.dataroot = dir.file("empty");
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("holds no images"));
  fs::create_directories(dir.file("bare"));
  o.dataroot = dir.file("bare");
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("no images"));

  write_synthetic_dataset(dir.file("ok"), 1, 0, kSize, 6);
  o = synthetic_options(dir.file("ok"));
  o.direction = "AB";
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("--direction: unknown value 'AB' (expected AtoB or BtoA)"));
  o.direction = "AtoB";
  o.preprocess = "zoom";
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("--preprocess: unknown value 'zoom'"));
  o.preprocess = "resize_and_crop";
  o.crop_size = 48;
  CHECK_THROWS_WITH(AlignedDataset(o), Catch::Contains("--crop-size 48 is larger than --load-size 40"));

  // Not an AB pair: an odd width; the error names the file and its size.
  fs::create_directories(dir.file("odd/train"));
  save_png(dir.file("odd/train/odd.png"), Image(33, 16));
  o = synthetic_options(dir.file("odd"));
  CHECK_THROWS_WITH(AlignedDataset(o).get(0, 0),
                    Catch::Contains("odd.png") && Catch::Contains("33x16") && Catch::Contains("not an AB pair"));
  // 'crop' on halves smaller than the crop.
  o.preprocess = "crop";
  o.crop_size = 20;
  fs::create_directories(dir.file("small/train"));
  save_png(dir.file("small/train/small.png"), Image(32, 16));
  o.dataroot = dir.file("small");
  CHECK_THROWS_WITH(AlignedDataset(o).get(0, 0), Catch::Contains("small.png") && Catch::Contains("--crop-size 20"));
  CHECK_THROWS_WITH(AlignedDataset(o).get(1, 0), Catch::Contains("out of range"));

  // Samples of different sizes cannot share a batch under --preprocess none.
  fs::create_directories(dir.file("mixed/train"));
  save_png(dir.file("mixed/train/a.png"), Image(32, 16));
  save_png(dir.file("mixed/train/b.png"), Image(40, 16));
  o.dataroot = dir.file("mixed");
  o.preprocess = "none";
  AlignedDataset mixed(o);
  Loader loader(mixed, 2, false, 1, 1);
  loader.start_epoch(0);
  Batch b;
  CHECK_THROWS_WITH(loader.next(b), Catch::Contains("b.png") && Catch::Contains("differ in size"));
  CHECK_THROWS_WITH(Loader(mixed, 0, false, 1, 1), Catch::Contains("--batch-size 0"));
}

TEST_CASE("the facades set loads when present", "[data][facades]") {
  const char* env = std::getenv("P2P_FACADES");
  std::string root = env ? env : P2P_FACADES_DIR;
  if (!fs::is_directory(fs::path(root) / "train")) {
    WARN("facades not found at " << root << " (set P2P_FACADES): skipped");
    return;
  }
  DatasetOptions o;
  o.dataroot = root;
  o.direction = "BtoA";
  AlignedDataset ds(o);
  CHECK(ds.size() >= 100);
  Loader loader(ds, 1, true, 2, 2);
  loader.start_epoch(0);
  Batch b;
  for (int k = 0; k < 3; ++k) {
    REQUIRE(loader.next(b));
    CHECK(b.A.shape() == Shape{1, 3, 256, 256});
    CHECK(b.B.shape() == Shape{1, 3, 256, 256});
    for (float v : b.A.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
  }
  // BtoA: the input A is the label map (right half), the target B the photo.
  o.preprocess = "none";
  o.flip = false;
  AlignedDataset plain(o);
  Image ab = load_image(plain.files()[0]);
  CHECK(same(plain.get(0, 0).A, image_to_tensor(crop(ab, ab.w / 2, 0, ab.w / 2, ab.h))));
}

TEST_CASE("fast path: every byte value converts as image_to_tensor does", "[data][dataset][cache]") {
  testing::TempDir dir("dataset_bytes");
  fs::create_directories(dir.file("train"));
  Image ab(2 * 16, 16);  // the A half holds every byte value in each channel, B their reverse
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        ab.at(x, y, ch) = static_cast<uint8_t>((y * 16 + x + 85 * ch) % 256);
        ab.at(16 + x, y, ch) = static_cast<uint8_t>(255 - ab.at(x, y, ch));
      }
  save_png(dir.file("train/bytes.png"), ab);
  DatasetOptions o = synthetic_options(dir.path());
  o.preprocess = "none";
  for (bool flip : {false, true}) {
    Image a = crop(ab, 0, 0, 16, 16), b = crop(ab, 16, 0, 16, 16);
    if (flip) {
      a = flip_horizontal(a);
      b = flip_horizontal(b);
    }
    o.flip = flip;
    o.seed = 0;
    AlignedDataset ds(o);
    // The flip is Philox's; find an epoch whose draw matches the case.
    uint64_t epoch = 0;
    while (ds.get(0, epoch).augment.flip != flip) ++epoch;
    AlignedDataset::Sample s = ds.get(0, epoch);
    CHECK(same(s.A, image_to_tensor(a)));
    CHECK(same(s.B, image_to_tensor(b)));
  }
}

TEST_CASE("pair cache: the byte bound holds, and a stored pair is returned as stored", "[data][cache]") {
  auto pair = [](int side, uint8_t v) {
    auto h = std::make_shared<Halves>();
    h->a = Image(side, side);
    h->b = Image(side, side);
    std::fill(h->a.px.begin(), h->a.px.end(), v);
    return h;
  };
  const size_t one = pair(4, 0)->bytes();  // 2 * 4 * 4 * 3
  PairCache cache(2 * one + one / 2);
  CHECK(cache.insert("a", pair(4, 1)));
  CHECK_FALSE(cache.insert("a", pair(4, 9)));  // the first stays
  CHECK(cache.insert("b", pair(4, 2)));
  CHECK_FALSE(cache.insert("c", pair(4, 3)));  // over the bound: not stored
  CHECK(cache.insert("d", pair(2, 4)));        // a smaller pair still fits
  CHECK(cache.bytes() <= cache.max_bytes());
  CHECK(cache.count() == 3);
  REQUIRE(cache.find("a"));
  CHECK(cache.find("a")->a.px[0] == 1);
  CHECK_FALSE(cache.find("c"));
  PairCache none(0);
  CHECK_FALSE(none.insert("a", pair(1, 0)));
}

TEST_CASE("cache: batches bit-identical with the cache off, full or partly filled, at any thread count",
          "[data][loader][cache]") {
  testing::TempDir dir("loader_cache");
  write_synthetic_dataset(dir.path(), 10, 0, kSize, 8);
  DatasetOptions o = synthetic_options(dir.path());
  AlignedDataset plain(o);
  Loader reference(plain, 3, true, 0, 1);
  std::vector<std::vector<Batch>> expected;
  for (uint64_t e = 0; e < 3; ++e) expected.push_back(whole_epoch(reference, e));

  const size_t pair_bytes = 2 * 40 * 40 * 3;  // both halves at --load-size 40
  for (size_t bound : {size_t{1} << 30, 4 * pair_bytes + 7}) {
    for (int threads : {0, 1, 3}) {
      o.cache_bytes = bound;
      AlignedDataset cached(o);
      REQUIRE(cached.cache());
      Loader loader(cached, 3, true, threads, 2);
      for (uint64_t e = 0; e < 3; ++e) {
        std::vector<Batch> got = whole_epoch(loader, e);
        REQUIRE(got.size() == expected[e].size());
        for (size_t k = 0; k < got.size(); ++k) {
          CHECK(same(got[k].A, expected[e][k].A));
          CHECK(same(got[k].B, expected[e][k].B));
          CHECK(got[k].paths == expected[e][k].paths);
        }
      }
      CHECK(cached.cache()->bytes() <= bound);
      CHECK(cached.cache()->count() == std::min<size_t>(10, bound / pair_bytes));
    }
  }
  // Prefilled: every pair stored before the first epoch, the same batches.
  o.cache_bytes = plain.scan().pair_bytes;
  AlignedDataset full(o);
  CHECK(full.prefill(2).empty());
  CHECK(full.cache()->count() == 10);
  Loader loader(full, 3, true, 2, 2);
  std::vector<Batch> got = whole_epoch(loader, 1);
  for (size_t k = 0; k < got.size(); ++k) CHECK(same(got[k].A, expected[1][k].A));
}

TEST_CASE("scan: every bad file named in one error, prefill catches bad pixels, skipping drops them",
          "[data][dataset][scan][errors]") {
  testing::TempDir dir("dataset_scan");
  write_synthetic_dataset(dir.path(), 16, 0, kSize, 9);
  DatasetOptions o = synthetic_options(dir.path());
  o.preprocess = "crop";
  o.crop_size = 24;
  CHECK(AlignedDataset(o).scan().bad.empty());
  CHECK(AlignedDataset(o).scan().pair_bytes == 16 * 2 * kSize * kSize * 3);
  write_text(dir.file("train/000003.png"), "corrupt");
  save_png(dir.file("train/000005.png"), Image(33, 40));  // odd width
  save_png(dir.file("train/000007.png"), Image(40, 20));  // 20x20 halves < --crop-size 24
  AlignedDataset ds(o);
  AlignedDataset::ScanResult r = ds.scan();
  REQUIRE(r.bad.size() == 3);
  CHECK_THAT(r.bad[0].problem, Catch::Contains("000003.png"));
  CHECK_THAT(r.bad[1].problem, Catch::Contains("000005.png") && Catch::Contains("not an AB pair"));
  CHECK_THAT(r.bad[2].problem, Catch::Contains("000007.png") && Catch::Contains("--crop-size 24"));
  const std::string all = bad_files_message(r.bad);
  CHECK_THAT(all, Catch::StartsWith("3 files are unusable") && Catch::Contains("000003.png") &&
                      Catch::Contains("000005.png") && Catch::Contains("000007.png"));
  CHECK_THAT(bad_files_message(r.bad, 2),
             Catch::Contains("000005.png") && !Catch::Contains("000007.png") && Catch::EndsWith("and 1 more"));
  ds.remove_files(r.bad);
  CHECK(ds.size() == 13);
  CHECK(ds.scan().bad.empty());

  // A sound header over broken pixels: only decoding finds it (the prefill).
  const std::string path = dir.file("train/000009.png");
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  write_text(path, bytes.substr(0, bytes.size() / 2));
  o.cache_bytes = size_t{1} << 30;
  AlignedDataset cached(o);
  cached.remove_files(r.bad);
  CHECK(cached.scan().bad.empty());
  std::vector<BadFile> broken = cached.prefill(3);
  REQUIRE(broken.size() == 1);
  CHECK(broken[0].path == path);
  CHECK(cached.cache()->count() == 12);
  cached.remove_files(broken);
  CHECK(cached.size() == 12);
  std::vector<BadFile> every;
  for (const std::string& f : cached.files()) every.push_back({f, ""});
  CHECK_THROWS_WITH(cached.remove_files(every), Catch::Contains("all 12 images") && Catch::Contains("unusable"));
}
