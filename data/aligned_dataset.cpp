// The aligned AB dataset: file scan, option checks, and the per-sample preprocessing.
#include "data/aligned_dataset.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "data/decoders.h"
#include "runtime/check.h"
#include "runtime/philox.h"

namespace fs = std::filesystem;

namespace p2p {
namespace {

// Keeps the augmentation stream apart from other users of the same seed (weights, dropout).
constexpr uint64_t kAugmentKey = 0x6175676d656e7431ull;  // "augment1"

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

}  // namespace

std::vector<std::string> list_images(const std::string& dir, bool recursive) {
  std::vector<std::string> files;
  std::error_code ec;
  auto take = [&](const fs::directory_entry& entry) {
    if (entry.is_regular_file(ec) && is_image_name(entry.path())) files.push_back(entry.path().string());
  };
  if (recursive)
    for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) take(entry);
  else
    for (const auto& entry : fs::directory_iterator(dir, ec)) take(entry);
  P2P_CHECK(!ec, "cannot list folder '" << dir << "': " << ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

AlignedDataset::AlignedDataset(const DatasetOptions& opt, std::shared_ptr<PairCache> cache)
    : opt_(opt), cache_(std::move(cache)) {
  if (!cache_ && opt.cache_bytes > 0) cache_ = std::make_shared<PairCache>(opt.cache_bytes);
  if (opt.direction == "AtoB" || opt.direction == "BtoA")
    btoa_ = opt.direction == "BtoA";
  else
    P2P_FAIL("--direction: unknown value '" << opt.direction << "' (expected AtoB or BtoA)");

  P2P_CHECK(opt.part == "AB" || opt.part == "A" || opt.part == "B" || opt.part == "whole",
            "dataset part '" << opt.part << "': expected AB, A, B or whole");
  whole_ = opt.part == "whole";
  const std::string& pre = opt.preprocess;
  if (pre == "resize_and_crop" || pre == "crop" || pre == "scale_width_and_crop" || pre == "scale_width" ||
      pre == "none") {
    resize_square_ = pre == "resize_and_crop";
    scale_width_ = pre.rfind("scale_width", 0) == 0;
    crop_ = pre.find("crop") != std::string::npos;
  } else {
    P2P_FAIL("--preprocess: unknown value '" << pre
                                             << "' (expected resize_and_crop, crop, scale_width_and_crop, "
                                                "scale_width or none)");
  }
  if (resize_square_ || scale_width_) P2P_CHECK(opt.load_size > 0, "--load-size " << opt.load_size << " must be > 0");
  if (crop_ || scale_width_) P2P_CHECK(opt.crop_size > 0, "--crop-size " << opt.crop_size << " must be > 0");
  if (crop_ && (resize_square_ || scale_width_))
    P2P_CHECK(opt.crop_size <= opt.load_size, "--crop-size " << opt.crop_size << " is larger than --load-size "
                                                             << opt.load_size << " (--preprocess " << pre << ")");

  P2P_CHECK(!opt.dataroot.empty(), "--dataroot is not set");
  std::error_code ec;
  P2P_CHECK(fs::is_directory(opt.dataroot, ec), "--dataroot '" << opt.dataroot << "': no such folder");
  fs::path phase_dir = fs::path(opt.dataroot) / opt.phase;
  if (!opt.phase.empty() && fs::is_directory(phase_dir, ec)) {
    folder_ = phase_dir.string();
    files_ = list_images(folder_);
    P2P_CHECK(!files_.empty(),
              "--dataroot '" << opt.dataroot << "': folder '" << folder_ << "' holds no images (.jpg .jpeg .png .bmp)");
  } else {
    folder_ = opt.dataroot;
    files_ = list_images(folder_);
    P2P_CHECK(!files_.empty(), "--dataroot '" << opt.dataroot << "': no folder '" << phase_dir.string()
                                              << "' and no images (.jpg .jpeg .png .bmp) in '" << opt.dataroot
                                              << "' itself");
  }
}

void AlignedDataset::resized_size(int half_w, int h, int& w_out, int& h_out) const {
  w_out = half_w;
  h_out = h;
  if (resize_square_) {
    w_out = h_out = opt_.load_size;
  } else if (scale_width_ && !(half_w == opt_.load_size && h >= opt_.crop_size)) {
    w_out = opt_.load_size;
    // A thin image scales to a tall one: computed in 64 bits and clamped, so that check_pair_size
    // sees the size and refuses it (no int overflow on the way).
    const int64_t scaled = std::max(int64_t(opt_.load_size) * h / half_w, int64_t(opt_.crop_size));
    h_out = int(std::min(scaled, int64_t(std::numeric_limits<int>::max())));
  }
}

std::string AlignedDataset::check_pair_size(const std::string& path, int w, int h) const {
  std::ostringstream os;
  if (!whole_ && (w < 2 || w % 2 != 0)) {
    os << "'" << path << "' (" << w << "x" << h
       << ") is not an AB pair: its width is odd, so the left (A) and right (B) halves differ in size";
    return os.str();
  }
  int rw = 0, rh = 0;
  resized_size(whole_ ? w : w / 2, h, rw, rh);
  if (crop_ && (rw < opt_.crop_size || rh < opt_.crop_size))
    os << "'" << path << "': each half is " << rw << "x" << rh << " after --preprocess " << opt_.preprocess
       << ", smaller than --crop-size " << opt_.crop_size;
  else if (int64_t(rw) * rh > kMaxImagePixels)
    os << "'" << path << "' (" << w << "x" << h << "): each half would be " << rw << "x" << rh << " after --preprocess "
       << opt_.preprocess << ", over the limit of " << (kMaxImagePixels >> 20) << " megapixels";
  return os.str();
}

std::shared_ptr<const Halves> AlignedDataset::halves(size_t index) const {
  P2P_CHECK(index < files_.size(), "sample " << index << " out of range: the dataset holds " << files_.size());
  const std::string& path = files_[index];
  if (cache_) {
    if (std::shared_ptr<const Halves> hit = cache_->find(path)) return hit;
  }
  Image ab = load_image(path);
  const std::string problem = check_pair_size(path, ab.w, ab.h);
  P2P_CHECK(problem.empty(), problem);
  const int half = whole_ ? ab.w : ab.w / 2;
  auto pair = std::make_shared<Halves>();
  // A whole file is a (b stays empty); otherwise both halves, whichever part is asked for.
  if (whole_) {
    pair->a = std::move(ab);
  } else {
    pair->a = crop(ab, 0, 0, half, ab.h);
    pair->b = crop(ab, half, 0, half, ab.h);
  }
  if (grey_left()) pair->a = to_grey(pair->a);  // before the resize, as the official transform
  if (!whole_ && grey_right()) pair->b = to_grey(pair->b);
  int w = 0, h = 0;
  resized_size(half, pair->a.h, w, h);
  if (w != half || h != pair->a.h) {
    pair->a = resize_bicubic(pair->a, w, h);
    if (!whole_) pair->b = resize_bicubic(pair->b, w, h);
  }
  if (cache_) cache_->insert(path, pair);
  return pair;
}

bool AlignedDataset::grey_left() const { return whole_ || !btoa_ ? opt_.grey_A : opt_.grey_B; }
bool AlignedDataset::grey_right() const { return btoa_ ? opt_.grey_A : opt_.grey_B; }

Shape AlignedDataset::sample_shape(const Halves& h, bool b) const {
  // The channels are the image's: 1 where it was read grey. Both halves have one size.
  const Image& img = opt_.part != "AB" ? image(h) : (b != btoa_ ? h.b : h.a);
  const int side = opt_.crop_size;
  return crop_ ? Shape{1, img.c, side, side} : Shape{1, img.c, h.a.h, h.a.w};
}

Augment AlignedDataset::augment(const Halves& h, size_t index, uint64_t epoch) const {
  Philox4 r = philox4x32_10(index, epoch, opt_.seed ^ kAugmentKey);
  Augment aug;
  if (crop_) {
    aug.x = static_cast<int>(r.v[0] % static_cast<uint32_t>(h.a.w - opt_.crop_size + 1));
    aug.y = static_cast<int>(r.v[1] % static_cast<uint32_t>(h.a.h - opt_.crop_size + 1));
  }
  aug.flip = opt_.flip && (r.v[2] >> 31) != 0;
  return aug;
}

void AlignedDataset::write_sample(const Halves& h, const Augment& aug, float* a, float* b) const {
  const Shape s = sample_shape(h);
  const int w = static_cast<int>(s[3]), ht = static_cast<int>(s[2]);  // B's are the same
  write_window(btoa_ ? h.b : h.a, aug.x, aug.y, w, ht, aug.flip, a);
  write_window(btoa_ ? h.a : h.b, aug.x, aug.y, w, ht, aug.flip, b);
}

void AlignedDataset::write_image(const Halves& h, const Augment& aug, float* out) const {
  const Shape s = sample_shape(h);
  write_window(image(h), aug.x, aug.y, static_cast<int>(s[3]), static_cast<int>(s[2]), aug.flip, out);
}

SampleSource::Prepared AlignedDataset::prepare(size_t index, uint64_t epoch) const {
  return prepare_file(*this, index, epoch);
}

AlignedDataset::Sample AlignedDataset::get(size_t index, uint64_t epoch) const {
  std::shared_ptr<const Halves> h = halves(index);
  Sample s;
  s.path = files_[index];
  s.augment = augment(*h, index, epoch);
  const Shape shape = sample_shape(*h);
  s.A = Tensor(shape);
  s.B = Tensor(sample_shape(*h, /*b=*/true));
  write_sample(*h, s.augment, s.A.data(), s.B.data());
  return s;
}

AlignedDataset::ScanResult AlignedDataset::scan() const {
  ScanResult r;
  for (const std::string& path : files_) {
    ImageInfo info;
    try {
      info = probe_image(path);
    } catch (const std::exception& e) {
      r.bad.push_back({path, e.what()});
      continue;
    }
    std::string problem = check_pair_size(path, info.w, info.h);
    if (!problem.empty()) {
      r.bad.push_back({path, problem});
      continue;
    }
    int w = 0, h = 0;
    resized_size(whole_ ? info.w : info.w / 2, info.h, w, h);
    const int channels = (grey_left() ? 1 : 3) + (whole_ ? 0 : grey_right() ? 1 : 3);
    r.pair_bytes += static_cast<size_t>(channels) * w * h;
  }
  return r;
}

std::vector<BadFile> AlignedDataset::prefill(int threads) const {
  std::vector<BadFile> bad;
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < files_.size();) {
      try {
        halves(i);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        bad.push_back({files_[i], e.what()});
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  std::sort(bad.begin(), bad.end(), [](const BadFile& x, const BadFile& y) { return x.path < y.path; });
  return bad;
}

void AlignedDataset::remove_files(const std::vector<BadFile>& bad) {
  std::vector<std::string> kept;
  for (const std::string& f : files_)
    if (std::none_of(bad.begin(), bad.end(), [&](const BadFile& b) { return b.path == f; })) kept.push_back(f);
  P2P_CHECK(!kept.empty(), "--dataroot '" << opt_.dataroot << "': all " << files_.size() << " images of '" << folder_
                                          << "' are unusable");
  files_ = std::move(kept);
}

std::string bad_files_message(const std::vector<BadFile>& bad, size_t listed) {
  std::ostringstream os;
  os << bad.size() << (bad.size() == 1 ? " file is" : " files are") << " unusable:";
  for (size_t i = 0; i < bad.size() && i < listed; ++i) os << "\n  " << bad[i].problem;
  if (bad.size() > listed) os << "\n  and " << bad.size() - listed << " more";
  return os.str();
}

}  // namespace p2p
